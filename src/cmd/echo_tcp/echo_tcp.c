/* netkit echo-tcp: dispatch to serve, client and bench (RFC 862). */
#include "echo_tcp_int.h"

const struct nk_subcmd cmd_echo_tcp_subs[] = {
    NK_SUBCMD(echo_tcp, bench), NK_SUBCMD(echo_tcp, client),
    NK_SUBCMD(echo_tcp, serve), NK_SUBCMD_END};

const char cmd_echo_tcp_usage[] =
    "usage: netkit echo-tcp serve|client|bench [OPTIONS]\n"
    "\n"
    "A TCP echo service (RFC 862: every byte back until the peer closes).\n"
    "  serve   an echo server; --model picks iterative, fork, thread,\n"
    "          select, poll or epoll, to compare the classic designs\n"
    "  client  send a message or stdin, check the echo; --count pings\n"
    "  bench   a load generator: requests/s, MB/s, latency percentiles\n"
    "\n" NK_SUBCMDS_USAGE(
        "echo-tcp") "examples:\n"
                    "  netkit echo-tcp serve --port 9999\n"
                    "  netkit echo-tcp client --port 9999 'hello'\n"
                    "  netkit echo-tcp bench --port 9999 --conns 50 "
                    "--duration 5\n";
