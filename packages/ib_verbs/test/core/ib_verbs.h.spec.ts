import { expect } from 'chai';
import {
  ib_wr_opcode,
  ib_wc_opcode,
  ib_send_flags,
  ib_wc_status,
  ib_wc_flags,
  ib_qp_state,
  ib_qp_type,
  ib_qp_attr_mask,
  ib_access_flags,
  ib_mr_type,
  ib_poll_context,
  ib_mtu,
  ib_mtu_enum_to_int,
  ib_mtu_int_to_enum,
  ib_device_cap_flags,
  ib_device_cap_has,
  ib_event_type,
  ib_cq_notify_flags,
  rdma_node_type,
  rdma_transport_type,
  rdma_node_get_transport,
  rdma_ip2gid,
  ipv6_addr_v4mapped,
  rdma_ah_attr_init,
  ib_wc_init,
  ib_wr_num_sge,
} from '../../src/core/ib_verbs.h.js';

describe('ib_verbs.h: kernel numeric values', () => {
  it('ib_wr_opcode follows IB_UVERBS_WR_* and IB_WR_REG_MR is 0x20', () => {
    expect([ib_wr_opcode.IB_WR_RDMA_WRITE, ib_wr_opcode.IB_WR_SEND, ib_wr_opcode.IB_WR_RDMA_READ, ib_wr_opcode.IB_WR_LOCAL_INV, ib_wr_opcode.IB_WR_SEND_WITH_INV]).to.deep.equal([0, 2, 4, 7, 9]);
    expect(ib_wr_opcode.IB_WR_ATOMIC_WRITE).to.equal(15);
    expect(ib_wr_opcode.IB_WR_REG_MR).to.equal(0x20);
    expect(ib_wr_opcode.IB_WR_RESERVED10).to.equal(0xf9);
  });
  it('ib_wc_opcode: IB_WC_RECV = 1 << 7, receives test with opcode & IB_WC_RECV', () => {
    expect(ib_wc_opcode.IB_WC_RECV).to.equal(128);
    expect(ib_wc_opcode.IB_WC_RECV_RDMA_WITH_IMM).to.equal(129);
    expect(ib_wc_opcode.IB_WC_RECV_RDMA_WITH_IMM & ib_wc_opcode.IB_WC_RECV).to.not.equal(0);
    expect(ib_wc_opcode.IB_WC_REG_MR & ib_wc_opcode.IB_WC_RECV).to.equal(0);
    expect([ib_wc_opcode.IB_WC_LSO, ib_wc_opcode.IB_WC_FLUSH, ib_wc_opcode.IB_WC_ATOMIC_WRITE, ib_wc_opcode.IB_WC_REG_MR]).to.deep.equal([7, 8, 9, 10]);
  });
  it('flags and states', () => {
    expect(ib_send_flags.IB_SEND_SIGNALED).to.equal(2);
    expect(ib_wc_status.IB_WC_WR_FLUSH_ERR).to.equal(5);
    expect(ib_wc_status.IB_WC_REM_ACCESS_ERR).to.equal(10);
    expect(ib_wc_flags.IB_WC_WITH_INVALIDATE).to.equal(4);
    expect(ib_qp_state.IB_QPS_ERR).to.equal(6);
    expect(ib_qp_type.IB_QPT_RC).to.equal(2);
    expect(ib_qp_type.IB_QPT_UD).to.equal(4);
    expect(ib_qp_attr_mask.IB_QP_DEST_QPN).to.equal(1 << 20);
    expect(ib_qp_attr_mask.IB_QP_RATE_LIMIT).to.equal(1 << 25);
    expect(ib_access_flags.IB_ACCESS_RELAXED_ORDERING).to.equal(1 << 20);
    expect(ib_mr_type.IB_MR_TYPE_SG_GAPS).to.equal(1);
    expect(ib_poll_context.IB_POLL_SOFTIRQ).to.equal(0);
    expect(ib_poll_context.IB_POLL_DIRECT).to.equal(3);
    expect(ib_event_type.IB_EVENT_GID_CHANGE).to.equal(18);
    expect(ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS).to.equal(4);
    expect(ib_device_cap_flags.IB_DEVICE_MEM_MGT_EXTENSIONS).to.equal(1 << 21);
  });
  it('ib_device_cap_has tests bits above 31 exactly', () => {
    const flags = ib_device_cap_flags.IB_DEVICE_ATOMIC_WRITE + ib_device_cap_flags.IB_DEVICE_MEM_WINDOW;
    expect(ib_device_cap_has(flags, ib_device_cap_flags.IB_DEVICE_ATOMIC_WRITE)).to.equal(true);
    expect(ib_device_cap_has(flags, ib_device_cap_flags.IB_DEVICE_MEM_WINDOW)).to.equal(true);
    expect(ib_device_cap_has(flags, ib_device_cap_flags.IB_DEVICE_FLUSH_GLOBAL)).to.equal(false);
  });
});

describe('ib_mtu_enum_to_int / ib_mtu_int_to_enum', () => {
  it('converts both ways', () => {
    expect(ib_mtu_enum_to_int(ib_mtu.IB_MTU_256)).to.equal(256);
    expect(ib_mtu_enum_to_int(ib_mtu.IB_MTU_4096)).to.equal(4096);
    expect(ib_mtu_enum_to_int(9 as ib_mtu)).to.equal(-1);
    expect(ib_mtu_int_to_enum(4200)).to.equal(ib_mtu.IB_MTU_4096);
    expect(ib_mtu_int_to_enum(1500)).to.equal(ib_mtu.IB_MTU_1024);
    expect(ib_mtu_int_to_enum(100)).to.equal(ib_mtu.IB_MTU_256);
  });
});

describe('rdma_node_get_transport', () => {
  it('maps RNIC to iWARP and CA to IB', () => {
    expect(rdma_node_get_transport(rdma_node_type.RDMA_NODE_RNIC)).to.equal(rdma_transport_type.RDMA_TRANSPORT_IWARP);
    expect(rdma_node_get_transport(rdma_node_type.RDMA_NODE_IB_CA)).to.equal(rdma_transport_type.RDMA_TRANSPORT_IB);
  });
});

describe('rdma_ip2gid / rdma_ah_attr_init', () => {
  it('builds the IPv4-mapped GID from a u32 or a dotted string', () => {
    const a = rdma_ip2gid('10.0.0.1');
    const b = rdma_ip2gid(0x0a000001);
    expect([...a.raw]).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    expect([...b.raw]).to.deep.equal([...a.raw]);
    expect([...rdma_ip2gid(0xc0a80102).raw.subarray(12)]).to.deep.equal([192, 168, 1, 2]);
    expect(ipv6_addr_v4mapped(a)).to.equal(true);
  });
  it('a RoCE address vector carries the GRH flag, dgid and dmac', () => {
    const dmac = Uint8Array.of(2, 0, 0, 0, 0, 2);
    const av = rdma_ah_attr_init({ dgid: rdma_ip2gid('10.0.0.2'), dmac });
    expect(av.ah_flags).to.equal(1);
    expect(av.roce!.dmac).to.equal(dmac);
    expect(av.port_num).to.equal(1);
  });
});

describe('ib_wc_init', () => {
  it('sets every field, in one order', () => {
    const a = ib_wc_init();
    const b = ib_wc_init({ status: ib_wc_status.IB_WC_WR_FLUSH_ERR, wr_id: 3n, ex: { imm_data: 7 } });
    expect(Object.keys(a)).to.deep.equal(Object.keys(b));
    expect(Object.keys(a)).to.deep.equal(['wr_id', 'wr_cqe', 'status', 'opcode', 'vendor_err', 'byte_len', 'qp', 'ex', 'src_qp', 'wc_flags', 'pkey_index', 'slid', 'sl', 'dlid_path_bits', 'port_num', 'smac', 'vlan_id', 'network_hdr_type']);
    expect(b.ex).to.deep.equal({ imm_data: 7, invalidate_rkey: 0 });
    expect(b.wr_id).to.equal(3n);
  });
  it('ib_wr_num_sge defaults to sg_list.length', () => {
    expect(ib_wr_num_sge({ opcode: ib_wr_opcode.IB_WR_SEND })).to.equal(0);
    expect(ib_wr_num_sge({ sg_list: [{ addr: 0, length: 1, lkey: 0 }] })).to.equal(1);
    expect(ib_wr_num_sge({ num_sge: 0, sg_list: [{ addr: 0, length: 1, lkey: 0 }] })).to.equal(0);
  });
});
