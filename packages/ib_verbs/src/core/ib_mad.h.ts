/**
 * ib_mad.h - the management datagram (MAD) header, the IBA field accessors and the layouts of
 * the Communication Management messages (REQ, MRA, REJ, REP, RTU, DREQ, DREP) as they travel on
 * the wire.
 *
 * Kernel: include/rdma/ib_mad.h (struct ib_mad_hdr, IB_MGMT_* constants, IB_QP1_QKEY),
 *         include/rdma/iba.h (IBA_GET / IBA_SET / IBA_GET_MEM / IBA_SET_MEM, IBA_FIELD*_LOC),
 *         include/rdma/ibta_vol1_c12.h (CM_REQ_* ... CM_DREP_* field locations, IBA Tables
 *         106-113), include/rdma/ib_cm.h (CM_*_ATTR_ID), drivers/infiniband/core/cm_msgs.h
 *
 * Operation
 * ---------
 * A MAD is 256 bytes (IB_MGMT_MAD_SIZE): a 24-byte common header (`ib_mad_hdr`: base version,
 * management class, class version, method, status, class-specific, transaction ID, attribute ID,
 * reserved, attribute modifier), then 232 bytes of class data. Every multi-byte field is big
 * endian (IBA 13.4.2).
 *
 * Fields are described by ONE table form, exactly as IBTA vol. 1 chapter 12 (and the kernel's
 * ibta_vol1_c12.h) tabulate them: `{ byte, bit, bits }` = the field starts at `Byte[Bit]` of the
 * message (bit 0 is the most significant bit of the byte) and is `bits` wide. The kernel's
 * `CM_FIELD*_LOC(struct, byte_offset, ...)` offsets are relative to the end of the MAD header;
 * `CM_FIELD()` here adds the 24 bytes the same way (`byte_offset + sizeof(struct ib_mad_hdr)`).
 * `IBA_GET`/`IBA_SET` read and write any field up to 32 bits, `IBA_GET64`/`IBA_SET64` the 64-bit
 * ones (service ID, CA GUID: bigint), `IBA_GET_MEM`/`IBA_SET_MEM` the byte arrays (GIDs, private
 * data, ARI). There are no ad-hoc offsets anywhere else.
 *
 * Invariants: every field lies inside the 256 bytes; fields of one message never overlap (the
 * unit test checks both over the tables).
 */
import { KernelBug } from '@rdmaemu/sim-core';
import type { u8, u16, u32 } from '@rdmaemu/sim-core';

/** Kernel: include/rdma/ib_mad.h IB_MGMT_BASE_VERSION. */
export const IB_MGMT_BASE_VERSION = 1;
/** Kernel: include/rdma/ib_mad.h OPA_MGMT_BASE_VERSION. */
export const OPA_MGMT_BASE_VERSION = 0x80;

/** Kernel: include/rdma/ib_mad.h management classes (IB_MGMT_CLASS_*). */
export enum ib_mgmt_class {
  IB_MGMT_CLASS_SUBN_LID_ROUTED = 0x01,
  IB_MGMT_CLASS_SUBN_DIRECTED_ROUTE = 0x81,
  IB_MGMT_CLASS_SUBN_ADM = 0x03,
  IB_MGMT_CLASS_PERF_MGMT = 0x04,
  IB_MGMT_CLASS_BM = 0x05,
  IB_MGMT_CLASS_DEVICE_MGMT = 0x06,
  IB_MGMT_CLASS_CM = 0x07,
  IB_MGMT_CLASS_SNMP = 0x08,
}
/** Kernel: include/rdma/ib_mad.h IB_MGMT_CLASS_CM. */
export const IB_MGMT_CLASS_CM = ib_mgmt_class.IB_MGMT_CLASS_CM;

/** Kernel: include/rdma/ib_cm.h / cm_msgs.h IB_CM_CLASS_VERSION - the CM class version (2). */
export const IB_CM_CLASS_VERSION = 2;

/** Kernel: include/rdma/ib_mad.h IB_MGMT_METHOD_* (IBA 13.4.5). */
export enum ib_mgmt_method {
  IB_MGMT_METHOD_GET = 0x01,
  IB_MGMT_METHOD_SET = 0x02,
  IB_MGMT_METHOD_GET_RESP = 0x81,
  IB_MGMT_METHOD_SEND = 0x03,
  IB_MGMT_METHOD_TRAP = 0x05,
  IB_MGMT_METHOD_REPORT = 0x06,
  IB_MGMT_METHOD_REPORT_RESP = 0x86,
  IB_MGMT_METHOD_TRAP_REPRESS = 0x07,
}
/** Kernel: include/rdma/ib_mad.h IB_MGMT_METHOD_SEND. */
export const IB_MGMT_METHOD_SEND = ib_mgmt_method.IB_MGMT_METHOD_SEND;

/** Kernel: include/rdma/ib_mad.h IB_MGMT_MAD_HDR - bytes of the common MAD header. */
export const IB_MGMT_MAD_HDR = 24;
/** Kernel: include/rdma/ib_mad.h IB_MGMT_MAD_DATA - class data bytes after the header. */
export const IB_MGMT_MAD_DATA = 232;
/** Kernel: include/rdma/ib_mad.h IB_MGMT_MAD_SIZE - a whole MAD (IBA 13.4.2). */
export const IB_MGMT_MAD_SIZE = IB_MGMT_MAD_HDR + IB_MGMT_MAD_DATA;
/** Kernel: include/rdma/ib_verbs.h struct ib_grh size: the GRH area in front of a UD receive. */
export const IB_GRH_BYTES = 40;

/** Kernel: include/rdma/ib_mad.h IB_QP0 / IB_QP1 - the SMI and GSI QP numbers. */
export const IB_QP0 = 0;
export const IB_QP1 = 1;
/** Kernel: include/rdma/ib_mad.h IB_QP1_QKEY - the well-known Q_Key of QP1 (IBA 13.5.1). */
export const IB_QP1_QKEY = 0x80010000;
/** Kernel: include/rdma/ib_mad.h IB_DEFAULT_PKEY_FULL. */
export const IB_DEFAULT_PKEY_FULL = 0xffff;

/**
 * CM attribute IDs (IBA Table 104).
 * Kernel: include/rdma/ib_cm.h CM_REQ_ATTR_ID ... CM_APR_ATTR_ID (host order values here)
 */
export const CM_REQ_ATTR_ID = 0x0010;
export const CM_MRA_ATTR_ID = 0x0011;
export const CM_REJ_ATTR_ID = 0x0012;
export const CM_REP_ATTR_ID = 0x0013;
export const CM_RTU_ATTR_ID = 0x0014;
export const CM_DREQ_ATTR_ID = 0x0015;
export const CM_DREP_ATTR_ID = 0x0016;
export const CM_SIDR_REQ_ATTR_ID = 0x0017;
export const CM_SIDR_REP_ATTR_ID = 0x0018;
export const CM_LAP_ATTR_ID = 0x0019;
export const CM_APR_ATTR_ID = 0x001a;

/** Names of the CM attribute IDs (Wireshark's column text: ConnectRequest, ...). Emulator-only. */
export const cm_attr_id_name: Readonly<Record<number, string>> = {
  [CM_REQ_ATTR_ID]: 'ConnectRequest',
  [CM_MRA_ATTR_ID]: 'MsgRcptAck',
  [CM_REJ_ATTR_ID]: 'ConnectReject',
  [CM_REP_ATTR_ID]: 'ConnectReply',
  [CM_RTU_ATTR_ID]: 'ReadyToUse',
  [CM_DREQ_ATTR_ID]: 'DisconnectRequest',
  [CM_DREP_ATTR_ID]: 'DisconnectReply',
  [CM_SIDR_REQ_ATTR_ID]: 'ServiceIDResReq',
  [CM_SIDR_REP_ATTR_ID]: 'ServiceIDResReqResp',
  [CM_LAP_ATTR_ID]: 'LoadAlternatePath',
  [CM_APR_ATTR_ID]: 'AlternatePathResponse',
};

// ---------------------------------------------------------------------------------------------
// The field table form and the accessors (include/rdma/iba.h)

/**
 * iba_field - where a field sits: it starts at `Byte[Bit]` of the MAD (bit 0 = MSB) and is
 * `bits` wide. The form of every row of IBTA vol. 1 Tables 106-120.
 *
 * Kernel: include/rdma/iba.h IBA_FIELD_BLOC / IBA_FIELD8_LOC / IBA_FIELD16_LOC / IBA_FIELD32_LOC /
 *         IBA_FIELD64_LOC / IBA_FIELD_MLOC (all reduce to a byte offset, a bit offset and a width)
 * Divergence: one struct instead of a macro argument list; `byte` counts from the start of the
 * MAD (the kernel's CM macros add sizeof(struct ib_mad_hdr) the same way).
 */
export interface iba_field {
  readonly name: string;
  readonly byte: number;
  readonly bit: number;
  readonly bits: number;
}

function field(name: string, byte: number, bit: number, bits: number): iba_field {
  if (bit < 0 || bit > 7 || bits < 1 || byte * 8 + bit + bits > IB_MGMT_MAD_SIZE * 8) {
    throw new KernelBug(`iba field ${name}: bad location ${byte}[${bit}] width ${bits}`);
  }
  return Object.freeze({ name, byte, bit, bits });
}

/** IBA_FIELD_BLOC in the MAD header itself (no CM offset). */
function MAD_FIELD(name: string, byte: number, bit: number, bits: number): iba_field {
  return field(name, byte, bit, bits);
}

/**
 * CM_FIELD - a CM message field at `byte_offset[bit_offset]` of the CM data (IBTA Table 106
 * numbering), i.e. `byte_offset + sizeof(struct ib_mad_hdr)` in the MAD.
 * Kernel: include/rdma/ibta_vol1_c12.h CM_FIELD_BLOC / CM_FIELD8_LOC / CM_FIELD16_LOC /
 *         CM_FIELD32_LOC / CM_FIELD64_LOC / CM_FIELD_MLOC
 */
function CM_FIELD(name: string, byte_offset: number, bit_offset: number, bits: number): iba_field {
  return field(name, byte_offset + IB_MGMT_MAD_HDR, bit_offset, bits);
}

function checkBuf(f: iba_field, buf: Uint8Array): void {
  if (buf.length < f.byte + Math.ceil((f.bit + f.bits) / 8)) {
    throw new KernelBug(`iba field ${f.name}: buffer of ${buf.length} bytes too short`);
  }
}

/**
 * IBA_GET - read a field of up to 32 bits, big endian.
 * Kernel: include/rdma/iba.h IBA_GET()
 * @throws KernelBug for a field wider than 32 bits or a short buffer
 * @example
 * ```ts
 * const attr = IBA_GET(IB_MAD_ATTR_ID, mad); // 0x0010 for a REQ
 * ```
 */
export function IBA_GET(f: iba_field, buf: Uint8Array): u32 {
  if (f.bits > 32) throw new KernelBug(`IBA_GET ${f.name}: ${f.bits} bits; use IBA_GET64`);
  checkBuf(f, buf);
  let v = 0;
  const start = f.byte * 8 + f.bit;
  for (let i = 0; i < f.bits; i++) {
    const b = start + i;
    v = v * 2 + ((buf[b >>> 3]! >>> (7 - (b & 7))) & 1);
  }
  return v;
}

/**
 * IBA_SET - write a field of up to 32 bits, big endian; other bits of the bytes are kept.
 * Kernel: include/rdma/iba.h IBA_SET() (FIELD_PREP masks the value to the field width)
 * @throws KernelBug for a field wider than 32 bits or a short buffer
 * @example
 * ```ts
 * IBA_SET(CM_REQ_STARTING_PSN, mad, 0x9c3fb5);
 * ```
 */
export function IBA_SET(f: iba_field, buf: Uint8Array, value: number): void {
  if (f.bits > 32) throw new KernelBug(`IBA_SET ${f.name}: ${f.bits} bits; use IBA_SET64`);
  checkBuf(f, buf);
  let v = Math.floor(value) % 2 ** f.bits;
  if (v < 0) v += 2 ** f.bits;
  const start = f.byte * 8 + f.bit;
  for (let i = f.bits - 1; i >= 0; i--) {
    const b = start + i;
    const bit = v % 2;
    v = Math.floor(v / 2);
    const idx = b >>> 3;
    const m = 1 << (7 - (b & 7));
    buf[idx] = bit ? buf[idx]! | m : buf[idx]! & ~m & 0xff;
  }
}

/**
 * IBA_GET64 - read a 64-bit field (byte aligned), big endian.
 * Kernel: include/rdma/iba.h IBA_GET() on an IBA_FIELD64_LOC field (_iba_get64)
 * @throws KernelBug if the field is not a byte-aligned 64-bit field
 */
export function IBA_GET64(f: iba_field, buf: Uint8Array): bigint {
  if (f.bits !== 64 || f.bit !== 0) throw new KernelBug(`IBA_GET64 ${f.name}: not a 64-bit field`);
  checkBuf(f, buf);
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(buf[f.byte + i]!);
  return v;
}

/**
 * IBA_SET64 - write a 64-bit field (byte aligned), big endian.
 * Kernel: include/rdma/iba.h IBA_SET() on an IBA_FIELD64_LOC field (_iba_set64)
 * @throws KernelBug if the field is not a byte-aligned 64-bit field
 */
export function IBA_SET64(f: iba_field, buf: Uint8Array, value: bigint): void {
  if (f.bits !== 64 || f.bit !== 0) throw new KernelBug(`IBA_SET64 ${f.name}: not a 64-bit field`);
  checkBuf(f, buf);
  let v = BigInt.asUintN(64, value);
  for (let i = 7; i >= 0; i--) {
    buf[f.byte + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * IBA_GET_MEM_PTR - a view (no copy) of a byte-array field (GID, private data, ARI).
 * Kernel: include/rdma/iba.h IBA_GET_MEM_PTR()
 * @throws KernelBug if the field is not whole bytes
 */
export function IBA_GET_MEM_PTR(f: iba_field, buf: Uint8Array): Uint8Array {
  if (f.bit !== 0 || f.bits % 8 !== 0) throw new KernelBug(`IBA_GET_MEM_PTR ${f.name}: not a byte field`);
  checkBuf(f, buf);
  return buf.subarray(f.byte, f.byte + f.bits / 8);
}

/**
 * IBA_GET_MEM - copy `bytes` of a byte-array field out.
 * Kernel: include/rdma/iba.h IBA_GET_MEM()
 * @throws KernelBug if `bytes` exceeds the field (the kernel WARNs)
 */
export function IBA_GET_MEM(f: iba_field, buf: Uint8Array, bytes = f.bits / 8): Uint8Array {
  if (bytes * 8 > f.bits) throw new KernelBug(`IBA_GET_MEM ${f.name}: ${bytes} bytes > field`);
  return IBA_GET_MEM_PTR(f, buf).slice(0, bytes);
}

/**
 * IBA_SET_MEM - copy `bytes` of `data` into a byte-array field (the rest of the field is left as
 * it is, as in the kernel: a freshly allocated MAD is zeroed).
 * Kernel: include/rdma/iba.h IBA_SET_MEM()
 * @throws KernelBug if `bytes` exceeds the field (the kernel WARNs)
 */
export function IBA_SET_MEM(f: iba_field, buf: Uint8Array, data: Uint8Array | null, bytes = data?.length ?? 0): void {
  if (bytes * 8 > f.bits) throw new KernelBug(`IBA_SET_MEM ${f.name}: ${bytes} bytes > field`);
  if (data === null || bytes === 0) return;
  IBA_GET_MEM_PTR(f, buf).set(data.subarray(0, bytes));
}

// ---------------------------------------------------------------------------------------------
// struct ib_mad_hdr (IBA 13.4.2, Figure 146)

/** Kernel: include/rdma/ib_mad.h struct ib_mad_hdr, field by field. */
export const IB_MAD_BASE_VERSION = MAD_FIELD('base_version', 0, 0, 8);
export const IB_MAD_MGMT_CLASS = MAD_FIELD('mgmt_class', 1, 0, 8);
export const IB_MAD_CLASS_VERSION = MAD_FIELD('class_version', 2, 0, 8);
export const IB_MAD_METHOD = MAD_FIELD('method', 3, 0, 8);
export const IB_MAD_STATUS = MAD_FIELD('status', 4, 0, 16);
export const IB_MAD_CLASS_SPECIFIC = MAD_FIELD('class_specific', 6, 0, 16);
export const IB_MAD_TID = MAD_FIELD('tid', 8, 0, 64);
export const IB_MAD_ATTR_ID = MAD_FIELD('attr_id', 16, 0, 16);
export const IB_MAD_RESV = MAD_FIELD('resv', 18, 0, 16);
export const IB_MAD_ATTR_MOD = MAD_FIELD('attr_mod', 20, 0, 32);

/** The ib_mad_hdr rows in wire order. Emulator-only (tests and dumps walk it). */
export const ib_mad_hdr_fields: readonly iba_field[] = [
  IB_MAD_BASE_VERSION, IB_MAD_MGMT_CLASS, IB_MAD_CLASS_VERSION, IB_MAD_METHOD, IB_MAD_STATUS,
  IB_MAD_CLASS_SPECIFIC, IB_MAD_TID, IB_MAD_ATTR_ID, IB_MAD_RESV, IB_MAD_ATTR_MOD,
];

/**
 * ib_mad_hdr - the decoded common header.
 * Kernel: include/rdma/ib_mad.h struct ib_mad_hdr
 * Divergence: a decoded value object; the wire form is only read and written through the table.
 */
export interface ib_mad_hdr {
  base_version: u8;
  mgmt_class: u8;
  class_version: u8;
  method: u8;
  status: u16;
  class_specific: u16;
  tid: bigint;
  attr_id: u16;
  resv: u16;
  attr_mod: u32;
}

/**
 * ib_mad_hdr_get - decode the common header of a MAD. Emulator-only helper over IBA_GET.
 * @example
 * ```ts
 * const h = ib_mad_hdr_get(mad);
 * if (h.mgmt_class === IB_MGMT_CLASS_CM && h.attr_id === CM_REQ_ATTR_ID) { ... }
 * ```
 */
export function ib_mad_hdr_get(mad: Uint8Array): ib_mad_hdr {
  return {
    base_version: IBA_GET(IB_MAD_BASE_VERSION, mad),
    mgmt_class: IBA_GET(IB_MAD_MGMT_CLASS, mad),
    class_version: IBA_GET(IB_MAD_CLASS_VERSION, mad),
    method: IBA_GET(IB_MAD_METHOD, mad),
    status: IBA_GET(IB_MAD_STATUS, mad),
    class_specific: IBA_GET(IB_MAD_CLASS_SPECIFIC, mad),
    tid: IBA_GET64(IB_MAD_TID, mad),
    attr_id: IBA_GET(IB_MAD_ATTR_ID, mad),
    resv: IBA_GET(IB_MAD_RESV, mad),
    attr_mod: IBA_GET(IB_MAD_ATTR_MOD, mad),
  };
}

/**
 * ib_mad_hdr_set - encode a common header. Emulator-only helper over IBA_SET.
 */
export function ib_mad_hdr_set(mad: Uint8Array, h: ib_mad_hdr): void {
  IBA_SET(IB_MAD_BASE_VERSION, mad, h.base_version);
  IBA_SET(IB_MAD_MGMT_CLASS, mad, h.mgmt_class);
  IBA_SET(IB_MAD_CLASS_VERSION, mad, h.class_version);
  IBA_SET(IB_MAD_METHOD, mad, h.method);
  IBA_SET(IB_MAD_STATUS, mad, h.status);
  IBA_SET(IB_MAD_CLASS_SPECIFIC, mad, h.class_specific);
  IBA_SET64(IB_MAD_TID, mad, h.tid);
  IBA_SET(IB_MAD_ATTR_ID, mad, h.attr_id);
  IBA_SET(IB_MAD_RESV, mad, h.resv);
  IBA_SET(IB_MAD_ATTR_MOD, mad, h.attr_mod);
}

// ---------------------------------------------------------------------------------------------
// IBTA vol. 1 chapter 12 message layouts (include/rdma/ibta_vol1_c12.h)

/* Table 106 REQ Message Contents */
export const CM_REQ_LOCAL_COMM_ID = CM_FIELD('CM_REQ_LOCAL_COMM_ID', 0, 0, 32);
export const CM_REQ_SERVICE_ID = CM_FIELD('CM_REQ_SERVICE_ID', 8, 0, 64);
export const CM_REQ_LOCAL_CA_GUID = CM_FIELD('CM_REQ_LOCAL_CA_GUID', 16, 0, 64);
export const CM_REQ_LOCAL_Q_KEY = CM_FIELD('CM_REQ_LOCAL_Q_KEY', 28, 0, 32);
export const CM_REQ_LOCAL_QPN = CM_FIELD('CM_REQ_LOCAL_QPN', 32, 0, 24);
export const CM_REQ_RESPONDER_RESOURCES = CM_FIELD('CM_REQ_RESPONDER_RESOURCES', 35, 0, 8);
export const CM_REQ_LOCAL_EECN = CM_FIELD('CM_REQ_LOCAL_EECN', 36, 0, 24);
export const CM_REQ_INITIATOR_DEPTH = CM_FIELD('CM_REQ_INITIATOR_DEPTH', 39, 0, 8);
export const CM_REQ_REMOTE_EECN = CM_FIELD('CM_REQ_REMOTE_EECN', 40, 0, 24);
export const CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT = CM_FIELD('CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT', 43, 0, 5);
export const CM_REQ_TRANSPORT_SERVICE_TYPE = CM_FIELD('CM_REQ_TRANSPORT_SERVICE_TYPE', 43, 5, 2);
export const CM_REQ_END_TO_END_FLOW_CONTROL = CM_FIELD('CM_REQ_END_TO_END_FLOW_CONTROL', 43, 7, 1);
export const CM_REQ_STARTING_PSN = CM_FIELD('CM_REQ_STARTING_PSN', 44, 0, 24);
export const CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT = CM_FIELD('CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT', 47, 0, 5);
export const CM_REQ_RETRY_COUNT = CM_FIELD('CM_REQ_RETRY_COUNT', 47, 5, 3);
export const CM_REQ_PARTITION_KEY = CM_FIELD('CM_REQ_PARTITION_KEY', 48, 0, 16);
export const CM_REQ_PATH_PACKET_PAYLOAD_MTU = CM_FIELD('CM_REQ_PATH_PACKET_PAYLOAD_MTU', 50, 0, 4);
export const CM_REQ_RDC_EXISTS = CM_FIELD('CM_REQ_RDC_EXISTS', 50, 4, 1);
export const CM_REQ_RNR_RETRY_COUNT = CM_FIELD('CM_REQ_RNR_RETRY_COUNT', 50, 5, 3);
export const CM_REQ_MAX_CM_RETRIES = CM_FIELD('CM_REQ_MAX_CM_RETRIES', 51, 0, 4);
export const CM_REQ_SRQ = CM_FIELD('CM_REQ_SRQ', 51, 4, 1);
export const CM_REQ_EXTENDED_TRANSPORT_TYPE = CM_FIELD('CM_REQ_EXTENDED_TRANSPORT_TYPE', 51, 5, 3);
export const CM_REQ_PRIMARY_LOCAL_PORT_LID = CM_FIELD('CM_REQ_PRIMARY_LOCAL_PORT_LID', 52, 0, 16);
export const CM_REQ_PRIMARY_REMOTE_PORT_LID = CM_FIELD('CM_REQ_PRIMARY_REMOTE_PORT_LID', 54, 0, 16);
export const CM_REQ_PRIMARY_LOCAL_PORT_GID = CM_FIELD('CM_REQ_PRIMARY_LOCAL_PORT_GID', 56, 0, 128);
export const CM_REQ_PRIMARY_REMOTE_PORT_GID = CM_FIELD('CM_REQ_PRIMARY_REMOTE_PORT_GID', 72, 0, 128);
export const CM_REQ_PRIMARY_FLOW_LABEL = CM_FIELD('CM_REQ_PRIMARY_FLOW_LABEL', 88, 0, 20);
export const CM_REQ_PRIMARY_PACKET_RATE = CM_FIELD('CM_REQ_PRIMARY_PACKET_RATE', 91, 2, 6);
export const CM_REQ_PRIMARY_TRAFFIC_CLASS = CM_FIELD('CM_REQ_PRIMARY_TRAFFIC_CLASS', 92, 0, 8);
export const CM_REQ_PRIMARY_HOP_LIMIT = CM_FIELD('CM_REQ_PRIMARY_HOP_LIMIT', 93, 0, 8);
export const CM_REQ_PRIMARY_SL = CM_FIELD('CM_REQ_PRIMARY_SL', 94, 0, 4);
export const CM_REQ_PRIMARY_SUBNET_LOCAL = CM_FIELD('CM_REQ_PRIMARY_SUBNET_LOCAL', 94, 4, 1);
export const CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT = CM_FIELD('CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT', 95, 0, 5);
export const CM_REQ_ALTERNATE_LOCAL_PORT_LID = CM_FIELD('CM_REQ_ALTERNATE_LOCAL_PORT_LID', 96, 0, 16);
export const CM_REQ_ALTERNATE_REMOTE_PORT_LID = CM_FIELD('CM_REQ_ALTERNATE_REMOTE_PORT_LID', 98, 0, 16);
export const CM_REQ_ALTERNATE_LOCAL_PORT_GID = CM_FIELD('CM_REQ_ALTERNATE_LOCAL_PORT_GID', 100, 0, 128);
export const CM_REQ_ALTERNATE_REMOTE_PORT_GID = CM_FIELD('CM_REQ_ALTERNATE_REMOTE_PORT_GID', 116, 0, 128);
export const CM_REQ_ALTERNATE_FLOW_LABEL = CM_FIELD('CM_REQ_ALTERNATE_FLOW_LABEL', 132, 0, 20);
export const CM_REQ_ALTERNATE_PACKET_RATE = CM_FIELD('CM_REQ_ALTERNATE_PACKET_RATE', 135, 2, 6);
export const CM_REQ_ALTERNATE_TRAFFIC_CLASS = CM_FIELD('CM_REQ_ALTERNATE_TRAFFIC_CLASS', 136, 0, 8);
export const CM_REQ_ALTERNATE_HOP_LIMIT = CM_FIELD('CM_REQ_ALTERNATE_HOP_LIMIT', 137, 0, 8);
export const CM_REQ_ALTERNATE_SL = CM_FIELD('CM_REQ_ALTERNATE_SL', 138, 0, 4);
export const CM_REQ_ALTERNATE_SUBNET_LOCAL = CM_FIELD('CM_REQ_ALTERNATE_SUBNET_LOCAL', 138, 4, 1);
export const CM_REQ_ALTERNATE_LOCAL_ACK_TIMEOUT = CM_FIELD('CM_REQ_ALTERNATE_LOCAL_ACK_TIMEOUT', 139, 0, 5);
export const CM_REQ_SAP_SUPPORTED = CM_FIELD('CM_REQ_SAP_SUPPORTED', 139, 5, 1);
export const CM_REQ_PRIVATE_DATA = CM_FIELD('CM_REQ_PRIVATE_DATA', 140, 0, 736);

/* Table 107 MRA Message Contents */
export const CM_MRA_LOCAL_COMM_ID = CM_FIELD('CM_MRA_LOCAL_COMM_ID', 0, 0, 32);
export const CM_MRA_REMOTE_COMM_ID = CM_FIELD('CM_MRA_REMOTE_COMM_ID', 4, 0, 32);
export const CM_MRA_MESSAGE_MRAED = CM_FIELD('CM_MRA_MESSAGE_MRAED', 8, 0, 2);
export const CM_MRA_SERVICE_TIMEOUT = CM_FIELD('CM_MRA_SERVICE_TIMEOUT', 9, 0, 5);
export const CM_MRA_PRIVATE_DATA = CM_FIELD('CM_MRA_PRIVATE_DATA', 10, 0, 1776);

/* Table 108 REJ Message Contents */
export const CM_REJ_LOCAL_COMM_ID = CM_FIELD('CM_REJ_LOCAL_COMM_ID', 0, 0, 32);
export const CM_REJ_REMOTE_COMM_ID = CM_FIELD('CM_REJ_REMOTE_COMM_ID', 4, 0, 32);
export const CM_REJ_MESSAGE_REJECTED = CM_FIELD('CM_REJ_MESSAGE_REJECTED', 8, 0, 2);
export const CM_REJ_REJECTED_INFO_LENGTH = CM_FIELD('CM_REJ_REJECTED_INFO_LENGTH', 9, 0, 7);
export const CM_REJ_REASON = CM_FIELD('CM_REJ_REASON', 10, 0, 16);
export const CM_REJ_ARI = CM_FIELD('CM_REJ_ARI', 12, 0, 576);
export const CM_REJ_PRIVATE_DATA = CM_FIELD('CM_REJ_PRIVATE_DATA', 84, 0, 1184);

/* Table 110 REP Message Contents */
export const CM_REP_LOCAL_COMM_ID = CM_FIELD('CM_REP_LOCAL_COMM_ID', 0, 0, 32);
export const CM_REP_REMOTE_COMM_ID = CM_FIELD('CM_REP_REMOTE_COMM_ID', 4, 0, 32);
export const CM_REP_LOCAL_Q_KEY = CM_FIELD('CM_REP_LOCAL_Q_KEY', 8, 0, 32);
export const CM_REP_LOCAL_QPN = CM_FIELD('CM_REP_LOCAL_QPN', 12, 0, 24);
export const CM_REP_LOCAL_EE_CONTEXT_NUMBER = CM_FIELD('CM_REP_LOCAL_EE_CONTEXT_NUMBER', 16, 0, 24);
export const CM_REP_STARTING_PSN = CM_FIELD('CM_REP_STARTING_PSN', 20, 0, 24);
export const CM_REP_RESPONDER_RESOURCES = CM_FIELD('CM_REP_RESPONDER_RESOURCES', 24, 0, 8);
export const CM_REP_INITIATOR_DEPTH = CM_FIELD('CM_REP_INITIATOR_DEPTH', 25, 0, 8);
export const CM_REP_TARGET_ACK_DELAY = CM_FIELD('CM_REP_TARGET_ACK_DELAY', 26, 0, 5);
export const CM_REP_FAILOVER_ACCEPTED = CM_FIELD('CM_REP_FAILOVER_ACCEPTED', 26, 5, 2);
export const CM_REP_END_TO_END_FLOW_CONTROL = CM_FIELD('CM_REP_END_TO_END_FLOW_CONTROL', 26, 7, 1);
export const CM_REP_RNR_RETRY_COUNT = CM_FIELD('CM_REP_RNR_RETRY_COUNT', 27, 0, 3);
export const CM_REP_SRQ = CM_FIELD('CM_REP_SRQ', 27, 3, 1);
export const CM_REP_LOCAL_CA_GUID = CM_FIELD('CM_REP_LOCAL_CA_GUID', 28, 0, 64);
export const CM_REP_PRIVATE_DATA = CM_FIELD('CM_REP_PRIVATE_DATA', 36, 0, 1568);

/* Table 111 RTU Message Contents */
export const CM_RTU_LOCAL_COMM_ID = CM_FIELD('CM_RTU_LOCAL_COMM_ID', 0, 0, 32);
export const CM_RTU_REMOTE_COMM_ID = CM_FIELD('CM_RTU_REMOTE_COMM_ID', 4, 0, 32);
export const CM_RTU_PRIVATE_DATA = CM_FIELD('CM_RTU_PRIVATE_DATA', 8, 0, 1792);

/* Table 112 DREQ Message Contents */
export const CM_DREQ_LOCAL_COMM_ID = CM_FIELD('CM_DREQ_LOCAL_COMM_ID', 0, 0, 32);
export const CM_DREQ_REMOTE_COMM_ID = CM_FIELD('CM_DREQ_REMOTE_COMM_ID', 4, 0, 32);
export const CM_DREQ_REMOTE_QPN_EECN = CM_FIELD('CM_DREQ_REMOTE_QPN_EECN', 8, 0, 24);
export const CM_DREQ_PRIVATE_DATA = CM_FIELD('CM_DREQ_PRIVATE_DATA', 12, 0, 1760);

/* Table 113 DREP Message Contents */
export const CM_DREP_LOCAL_COMM_ID = CM_FIELD('CM_DREP_LOCAL_COMM_ID', 0, 0, 32);
export const CM_DREP_REMOTE_COMM_ID = CM_FIELD('CM_DREP_REMOTE_COMM_ID', 4, 0, 32);
export const CM_DREP_PRIVATE_DATA = CM_FIELD('CM_DREP_PRIVATE_DATA', 8, 0, 1792);

/**
 * cm_msg_layouts - every CM message's fields in table order, keyed by attribute ID.
 * Emulator-only: the MAD unit test checks bounds and overlaps over it; dumps walk it.
 */
export const cm_msg_layouts: Readonly<Record<number, readonly iba_field[]>> = {
  [CM_REQ_ATTR_ID]: [
    CM_REQ_LOCAL_COMM_ID, CM_REQ_SERVICE_ID, CM_REQ_LOCAL_CA_GUID, CM_REQ_LOCAL_Q_KEY, CM_REQ_LOCAL_QPN,
    CM_REQ_RESPONDER_RESOURCES, CM_REQ_LOCAL_EECN, CM_REQ_INITIATOR_DEPTH, CM_REQ_REMOTE_EECN,
    CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, CM_REQ_TRANSPORT_SERVICE_TYPE, CM_REQ_END_TO_END_FLOW_CONTROL,
    CM_REQ_STARTING_PSN, CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, CM_REQ_RETRY_COUNT, CM_REQ_PARTITION_KEY,
    CM_REQ_PATH_PACKET_PAYLOAD_MTU, CM_REQ_RDC_EXISTS, CM_REQ_RNR_RETRY_COUNT, CM_REQ_MAX_CM_RETRIES, CM_REQ_SRQ,
    CM_REQ_EXTENDED_TRANSPORT_TYPE, CM_REQ_PRIMARY_LOCAL_PORT_LID, CM_REQ_PRIMARY_REMOTE_PORT_LID,
    CM_REQ_PRIMARY_LOCAL_PORT_GID, CM_REQ_PRIMARY_REMOTE_PORT_GID, CM_REQ_PRIMARY_FLOW_LABEL,
    CM_REQ_PRIMARY_PACKET_RATE, CM_REQ_PRIMARY_TRAFFIC_CLASS, CM_REQ_PRIMARY_HOP_LIMIT, CM_REQ_PRIMARY_SL,
    CM_REQ_PRIMARY_SUBNET_LOCAL, CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, CM_REQ_ALTERNATE_LOCAL_PORT_LID,
    CM_REQ_ALTERNATE_REMOTE_PORT_LID, CM_REQ_ALTERNATE_LOCAL_PORT_GID, CM_REQ_ALTERNATE_REMOTE_PORT_GID,
    CM_REQ_ALTERNATE_FLOW_LABEL, CM_REQ_ALTERNATE_PACKET_RATE, CM_REQ_ALTERNATE_TRAFFIC_CLASS,
    CM_REQ_ALTERNATE_HOP_LIMIT, CM_REQ_ALTERNATE_SL, CM_REQ_ALTERNATE_SUBNET_LOCAL,
    CM_REQ_ALTERNATE_LOCAL_ACK_TIMEOUT, CM_REQ_SAP_SUPPORTED, CM_REQ_PRIVATE_DATA,
  ],
  [CM_MRA_ATTR_ID]: [CM_MRA_LOCAL_COMM_ID, CM_MRA_REMOTE_COMM_ID, CM_MRA_MESSAGE_MRAED, CM_MRA_SERVICE_TIMEOUT, CM_MRA_PRIVATE_DATA],
  [CM_REJ_ATTR_ID]: [
    CM_REJ_LOCAL_COMM_ID, CM_REJ_REMOTE_COMM_ID, CM_REJ_MESSAGE_REJECTED, CM_REJ_REJECTED_INFO_LENGTH, CM_REJ_REASON,
    CM_REJ_ARI, CM_REJ_PRIVATE_DATA,
  ],
  [CM_REP_ATTR_ID]: [
    CM_REP_LOCAL_COMM_ID, CM_REP_REMOTE_COMM_ID, CM_REP_LOCAL_Q_KEY, CM_REP_LOCAL_QPN, CM_REP_LOCAL_EE_CONTEXT_NUMBER,
    CM_REP_STARTING_PSN, CM_REP_RESPONDER_RESOURCES, CM_REP_INITIATOR_DEPTH, CM_REP_TARGET_ACK_DELAY,
    CM_REP_FAILOVER_ACCEPTED, CM_REP_END_TO_END_FLOW_CONTROL, CM_REP_RNR_RETRY_COUNT, CM_REP_SRQ,
    CM_REP_LOCAL_CA_GUID, CM_REP_PRIVATE_DATA,
  ],
  [CM_RTU_ATTR_ID]: [CM_RTU_LOCAL_COMM_ID, CM_RTU_REMOTE_COMM_ID, CM_RTU_PRIVATE_DATA],
  [CM_DREQ_ATTR_ID]: [CM_DREQ_LOCAL_COMM_ID, CM_DREQ_REMOTE_COMM_ID, CM_DREQ_REMOTE_QPN_EECN, CM_DREQ_PRIVATE_DATA],
  [CM_DREP_ATTR_ID]: [CM_DREP_LOCAL_COMM_ID, CM_DREP_REMOTE_COMM_ID, CM_DREP_PRIVATE_DATA],
};

/**
 * cm_format_mad_hdr - fill the common header of a CM MAD (base version 1, class CM, class
 * version 2, method SEND, attribute, TID).
 * Kernel: drivers/infiniband/core/cm.c cm_format_mad_hdr()
 * @example
 * ```ts
 * const mad = new Uint8Array(IB_MGMT_MAD_SIZE);
 * cm_format_mad_hdr(mad, CM_REQ_ATTR_ID, 0x0000000212345678n);
 * ```
 */
export function cm_format_mad_hdr(mad: Uint8Array, attr_id: u16, tid: bigint): void {
  IBA_SET(IB_MAD_BASE_VERSION, mad, IB_MGMT_BASE_VERSION);
  IBA_SET(IB_MAD_MGMT_CLASS, mad, IB_MGMT_CLASS_CM);
  IBA_SET(IB_MAD_CLASS_VERSION, mad, IB_CM_CLASS_VERSION);
  IBA_SET(IB_MAD_METHOD, mad, IB_MGMT_METHOD_SEND);
  IBA_SET(IB_MAD_ATTR_ID, mad, attr_id);
  IBA_SET64(IB_MAD_TID, mad, tid);
}
