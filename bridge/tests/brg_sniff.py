#!/usr/bin/env python3
"""brg_sniff.py IFACE MARKER... - what a host on the link reads off the wire,
for test_bridge_security.sh.

Captures every IPv4 UDP datagram that crosses IFACE (both ways) until
SIGTERM, then prints per source address how many it saw and how many held
each MARKER in plain text:

    <source> packets <n>
    <source> marker <MARKER> <n>

Prints "ready" once it captures.  Needs CAP_NET_RAW (root)."""
import signal
import socket
import sys

# Every protocol: a socket of one protocol is not given what the host sends.
ETH_P_ALL = 0x0003
stop = False


def sniff_on_signal(_sig, _frame):
    global stop
    stop = True


def sniff_udp_source(frame):
    """The source address of an IPv4 UDP frame, or None."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    if ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    return socket.inet_ntoa(ip[12:16])


def sniff_main(iface, markers):
    signal.signal(signal.SIGTERM, sniff_on_signal)
    signal.signal(signal.SIGINT, sniff_on_signal)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.1)
    packets = {}
    hits = {}
    print("ready", flush=True)
    while not stop:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        src = sniff_udp_source(frame)
        if src is None:
            continue
        packets[src] = packets.get(src, 0) + 1
        for m in markers:
            if m in frame:
                hits[(src, m)] = hits.get((src, m), 0) + 1
    for src in sorted(packets):
        print(f"{src} packets {packets[src]}")
        for m in markers:
            print(f"{src} marker {m.decode()} {hits.get((src, m), 0)}")
    sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: brg_sniff.py IFACE MARKER...")
    sniff_main(sys.argv[1], [m.encode() for m in sys.argv[2:]])
