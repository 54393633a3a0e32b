/* netkit chat: the lesson's one-to-one chat grown into a room.
 *
 * serve: one nk_loop holds the listener, every client and the operator's
 * terminal (stdin, one more participant). Each line a participant sends
 * goes to every other one as "NICK: text"; joins, leaves and renames are
 * "* ..." notices. Output to each client is queued; while any queue is
 * above a high-water mark the room reads no sender (back-pressure, no
 * line dropped), each sender is held to --rate bytes per second, and a
 * reader whose queue stays high for --drop-after seconds is dropped with
 * a notice (the loop never waits on one socket).
 *
 * connect: full duplex over one poll-based nk_loop on stdin and the
 * socket (OpenBSD netcat's readwrite() in spirit). On a terminal the
 * client owns the input line (non-canonical mode) and redraws it under
 * each incoming line; from a pipe it sends every line as it comes.
 *
 * The line rules (assembly, bye words, nicknames, escaping) are pure code
 * in src/proto/chat.c. This file holds the usage texts and the dispatch;
 * the room is in room.c, the client and its terminal line editor in
 * client.c. */
#include "chat_int.h"

const char cmd_chat_usage[] =
    "usage: netkit chat serve|connect [OPTIONS]\n"
    "\n"
    "A line chat, full duplex: the lesson's one-to-one chat, grown into a\n"
    "room. Every line a participant types goes to every other one as\n"
    "'NICK: text'. A bye word (bye, byebye, bubye, bye bye, tata, see you)\n"
    "or /quit ends your session; the operator's bye closes the room.\n"
    "  serve    a room on --port; the operator chats from the terminal\n"
    "  connect  join a room (nc HOST PORT works too: a plain line protocol)\n"
    "With --lesson, either one speaks the lesson's own one-to-one chat\n"
    "(greeting, turns, messages without line ends), to test your program.\n"
    "\n"
    "'netkit chat SUBCOMMAND --help' shows each one's options.\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n"
    "\n"
    "examples:\n"
    "  netkit chat serve --port 1234\n"
    "  netkit chat connect localhost --port 1234 --name alice\n";

const struct nk_optspec chat_serve_spec = {
    "usage: netkit chat serve --port P [--bind ADDR] [--name NICK]\n"
    "                         [--max-clients N] [--rate B] [--drop-after S]\n"
    "                         [--no-console] [--json]\n"
    "       netkit chat serve --lesson --port P [--bind ADDR]\n"
    "\n"
    "A chat room. Clients join with 'netkit chat connect' or any line tool\n"
    "(nc, telnet); a client's first line may be '/nick NAME', else it is\n"
    "called guestN. The operator takes part from this terminal (stdin);\n"
    "the operator's bye word or /quit closes the room. The room's\n"
    "transcript goes to stdout (with --json: one JSON event per line).\n"
    "SIGINT/SIGTERM also close the room; the exit status is then 0.\n"
    "A client's line left without its newline for 300 ms is taken as it is.\n"
    "\n"
    "With --lesson: the lesson's chat server, for its client. One client;\n"
    "the greeting 'Hey You are connected....Welcome', the client's answer,\n"
    "then turns, this side first: each typed line goes out as one message\n"
    "with no line end, each read is one message. A bye word from either\n"
    "side, either side closing, or the end of stdin ends it (exit 0).\n"
    "\n",
    chat_serve_optdefs,
    "examples:\n"
    "  netkit chat serve --port 1234\n"
    "  netkit chat serve --port 1234 --bind ::1 --name alice\n"
    "  netkit chat serve --port 0 --no-console --json >room.log\n"
    "  netkit chat serve --lesson --port 1234\n",
    0, NULL};

const struct nk_optspec chat_connect_spec = {
    "usage: netkit chat connect HOST --port P [--name NICK] [--wait S]\n"
    "                           [--json]\n"
    "       netkit chat connect --lesson HOST --port P\n"
    "\n"
    "Join a chat room. What you type goes out when the line ends; what\n"
    "arrives is printed at once, above the line you are typing. From a\n"
    "pipe, every line is sent; at the end of input the client waits for\n"
    "the server to close or for a bye word (at most --wait seconds), then\n"
    "leaves. A bye word, /quit or Ctrl-D ends the session.\n"
    "\n"
    "With --lesson: the lesson's chat client, for its server. It shows the\n"
    "greeting, answers 'Thankyou', then takes turns, the server first: each\n"
    "read is one message, each typed line goes out as one message with no\n"
    "line end and no nick. A bye word from either side, either side\n"
    "closing, or the end of stdin ends it (exit 0).\n"
    "\n",
    chat_connect_optdefs,
    "examples:\n"
    "  netkit chat connect localhost --port 1234 --name bob\n"
    "  printf 'hello\\nbye\\n' | netkit chat connect ::1 --port 1234\n"
    "  netkit chat connect --lesson 127.0.0.1 --port 1234\n",
    0, NULL};

const struct nk_subcmd cmd_chat_subs[] = {
    {"connect", chat_connect, &chat_connect_spec},
    {"serve", chat_serve, &chat_serve_spec},
    {NULL, NULL, NULL},
};
