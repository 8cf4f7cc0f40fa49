# Chapter 06's part of scripts/tour: a ping between two network namespaces.
#
# Making namespaces and raw sockets takes privileges (root, or CAP_SYS_ADMIN
# and CAP_NET_RAW).  Without them the tour says so and goes on.

tour06_client="tour06-client-$$"
tour06_peer="tour06-peer-$$"
tour06_cleanup() {
    ip netns delete "$tour06_client" 2>/dev/null
    ip netns delete "$tour06_peer" 2>/dev/null
    tour_cleanup
}

if ! command -v ip >/dev/null || ! ip netns add "$tour06_client" 2>/dev/null; then
    say "Skipped: this chapter's tour needs root (it makes two network namespaces" \
        "with 'ip netns add'); run 'sudo scripts/tour 06' to see it."
    return 0
fi
trap tour06_cleanup EXIT
ip netns add "$tour06_peer" || tour_fail "ip netns add failed"
ip link add veth06a netns "$tour06_client" type veth peer name veth06b netns "$tour06_peer" &&
    ip -n "$tour06_client" addr add 10.6.0.1/24 dev veth06a &&
    ip -n "$tour06_peer" addr add 10.6.0.2/24 dev veth06b &&
    ip -n "$tour06_client" link set lo up &&
    ip -n "$tour06_client" link set veth06a up &&
    ip -n "$tour06_peer" link set veth06b up ||
    tour_fail "could not link the two namespaces"

say "Two network namespaces joined by a veth pair: 10.6.0.1 here, 10.6.0.2 there."
say "Root in a fresh namespace: no datagram ICMP sockets (ping_group_range is '1 0'), so a raw socket."
run ip netns exec "$tour06_client" icmp-ping -c 3 -i 0.2 10.6.0.2
expect_grep "^64 bytes from 10.6.0.2: icmp_seq=3 ttl=64 time="
expect_grep "^3 packets transmitted, 3 received, 0% packet loss"

say "The peer stops answering (net.ipv4.icmp_echo_ignore_all=1): 100% loss, exit status 1."
ip netns exec "$tour06_peer" sh -c 'echo 1 >/proc/sys/net/ipv4/icmp_echo_ignore_all'
run_expect 1 ip netns exec "$tour06_client" icmp-ping -c 2 -i 0.2 -W 1 10.6.0.2
expect_grep "^2 packets transmitted, 0 received, 100% packet loss"

say "An address on the link that nobody holds: the kernel's ARP gives up, 'Destination Host Unreachable'."
run_expect 1 ip netns exec "$tour06_client" icmp-ping -c 1 -W 5 10.6.0.9
expect_grep "^From 10.6.0.1 icmp_seq=1 Destination Host Unreachable"
