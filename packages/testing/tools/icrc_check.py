"""icrc_check - verify the RoCEv2 ICRC of every frame of a pcap with scapy.contrib.roce.

An oracle independent of rdmaemu's own CRC code (ORACLES.md section 2): scapy's
BTH.compute_icrc() builds the masked pseudo-header itself (8 x 0xFF, IPv4 with TOS/TTL/checksum
all ones, UDP checksum all ones, BTH byte 4 all ones) and CRC-32s it with zlib.

Usage: /usr/bin/python3 icrc_check.py FILE.pcap
Prints one line per bad frame ("bad <n> computed=<hex> wire=<hex>"), then a summary line:
  icrc frames=<all> roce=<with BTH> ok=<match> bad=<mismatch> zero=<ICRC field 0>
Exit status 0 if bad == 0, else 1.
"""
import logging
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.contrib.roce import BTH  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402


def main(path):
    frames = roce = ok = bad = zero = 0
    for n, pkt in enumerate(rdpcap(path), start=1):
        frames += 1
        if BTH not in pkt:
            continue
        roce += 1
        bth = pkt[BTH]
        wire = struct.pack("!I", bth.icrc)  # FCSField: the trailing 4 bytes as they are on the wire
        computed = bth.compute_icrc(None)
        if wire == b"\0\0\0\0":
            zero += 1
        if computed == wire:
            ok += 1
        else:
            bad += 1
            print("bad %d computed=%s wire=%s" % (n, computed.hex(), wire.hex()))
    print("icrc frames=%d roce=%d ok=%d bad=%d zero=%d" % (frames, roce, ok, bad, zero))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
