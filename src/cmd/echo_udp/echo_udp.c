/* netkit echo-udp: dispatch to serve, client and bench (RFC 862). */
#include "echo_udp_int.h"

const struct nk_subcmd cmd_echo_udp_subs[] = {
    NK_SUBCMD(echo_udp, bench), NK_SUBCMD(echo_udp, client),
    NK_SUBCMD(echo_udp, serve), NK_SUBCMD_END};

const char cmd_echo_udp_usage[] =
    "usage: netkit echo-udp serve|client|bench [OPTIONS]\n"
    "\n"
    "A UDP echo service (RFC 862: each datagram back to its sender).\n"
    "  serve   an echo server: batched receive/send, never blocks on one\n"
    "          peer, datagrams up to 65507 bytes\n"
    "  client  send, wait, retry on loss, check the reply; --count pings\n"
    "  bench   a load generator: datagrams/s and loss\n"
    "\n" NK_SUBCMDS_USAGE(
        "echo-udp") "examples:\n"
                    "  netkit echo-udp serve --port 9999\n"
                    "  netkit echo-udp client --port 9999 'hello'\n"
                    "  netkit echo-udp client --port 9999 --count 5\n";
