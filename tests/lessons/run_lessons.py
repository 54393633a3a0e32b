"""Run the course's programs (student-style, in this directory) against
their netkit counterparts, both ways, on loopback, each with a timeout.
usage: run_lessons.py NETKIT [FILTER]
Prints 'ok - ...' / 'not ok - ...' per check and 'N passed, N failed';
exits 1 on any failure."""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
NETKIT = os.path.abspath(sys.argv[1])
FILTER = sys.argv[2] if len(sys.argv) > 2 else ""
T = 15  # seconds any one program may take
results = [0, 0]


def check(name, cond, detail=""):
    results[0 if cond else 1] += 1
    print(("ok - " if cond else "not ok - ") + name, flush=True)
    if not cond and detail:
        for line in str(detail).splitlines()[-40:]:
            print("#   " + line, flush=True)


class Proc:
    """A program in the background; its stdout and stderr collected."""

    def __init__(self, argv, stdin_data=None, keep_stdin=False):
        self.p = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.out, self.err = [], []
        self.cv = threading.Condition()
        self.threads = [
            threading.Thread(target=self._pump, args=(self.p.stdout, self.out)),
            threading.Thread(target=self._pump, args=(self.p.stderr, self.err))]
        for t in self.threads:
            t.daemon = True
            t.start()
        try:
            if stdin_data is not None:
                self.p.stdin.write(stdin_data.encode())
                self.p.stdin.flush()
            if not keep_stdin:
                self.p.stdin.close()
        except BrokenPipeError:  # it ended early: its exit status tells
            pass

    def _pump(self, f, into):
        for line in iter(f.readline, b""):
            with self.cv:
                into.append(line.decode(errors="replace"))
                self.cv.notify_all()

    def send(self, text):
        try:
            self.p.stdin.write(text.encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def wait_for(self, pattern, stream="out", timeout=T):
        """The first match of pattern in stdout (or stderr), or None."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        lines = self.out if stream == "out" else self.err
        with self.cv:
            while True:
                for line in lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = end - time.time()
                if left <= 0 or (self.p.poll() is not None
                                 and not any(t.is_alive()
                                             for t in self.threads)):
                    return None
                self.cv.wait(min(left, 0.2))

    def finish(self, timeout=T):
        """Wait for the exit; kill past the timeout. The exit status, or
        None when it had to be killed."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        for t in self.threads:
            t.join(2)
        return rc

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
        return self.finish(5)

    def text(self):
        return "".join(self.out) + "--- stderr\n" + "".join(self.err)


def student(script, *args, **kw):
    return Proc([PY, os.path.join(HERE, script)] + list(args), **kw)


NETKIT_RUNS = []


def netkit(*args, **kw):
    p = Proc([NETKIT] + list(args), **kw)
    NETKIT_RUNS.append(p)
    return p


def student_port(p):
    m = p.wait_for(r"port (\d+)")
    return m.group(1) if m else None


def netkit_port(p):
    m = p.wait_for(r"listening on .*:(\d+)\s*$", stream="err")
    return m.group(1) if m else None


def server_up(name, server, port):
    check(name + ": server ready", port is not None, server.text())
    return port is not None


def lesson_echo():
    # The student's server, netkit's client.
    srv = student("echo_server.py", "--port", "0")
    try:
        port = student_port(srv)
        if server_up("echo: student server", srv, port):
            cl = netkit("echo-tcp", "client", "--host", "127.0.0.1",
                        "--port", port, "Test message. This will be echoed")
            rc = cl.finish()
            check("echo: netkit echo-tcp client -> student server (read once)",
                  rc == 0 and "Test message. This will be echoed" in
                  "".join(cl.out), cl.text() + srv.text())
    finally:
        srv.stop()
    # netkit's server, the student's recv(16) client.
    srv = netkit("echo-tcp", "serve", "--bind", "127.0.0.1", "--port", "0")
    try:
        port = netkit_port(srv)
        if server_up("echo: netkit echo-tcp serve", srv, port):
            cl = student("echo_client.py", "--port", port)
            rc = cl.finish()
            check("echo: student recv(16) client -> netkit echo-tcp serve",
                  rc == 0 and cl.wait_for("echo matches", timeout=0),
                  cl.text())
    finally:
        srv.stop()


def lesson_udp():
    srv = student("udp_echo_server.py", "--port", "0")
    try:
        port = student_port(srv)
        if server_up("udp: student server", srv, port):
            cl = netkit("echo-udp", "client", "--host", "127.0.0.1",
                        "--port", port, "Hello, this is a test message!")
            rc = cl.finish()
            check("udp: netkit echo-udp client -> student server",
                  rc == 0 and srv.wait_for("bytes back to", timeout=5),
                  cl.text() + srv.text())
    finally:
        srv.stop()
    srv = netkit("echo-udp", "serve", "--bind", "127.0.0.1", "--port", "0")
    try:
        port = netkit_port(srv)
        if server_up("udp: netkit echo-udp serve", srv, port):
            cl = student("udp_echo_client.py", "--port", port)
            check("udp: student sendto/recvfrom client -> netkit echo-udp "
                  "serve", cl.finish() == 0, cl.text())
    finally:
        srv.stop()


def lesson_sntp():
    srv = netkit("sntp", "serve", "--bind", "127.0.0.1", "--port", "0",
                 "--assume-synced")
    try:
        port = netkit_port(srv)
        if server_up("sntp: netkit sntp serve", srv, port):
            cl = student("sntp_client.py", "--port", port)
            check("sntp: student raw 48-byte client -> netkit sntp serve",
                  cl.finish() == 0, cl.text())
    finally:
        srv.stop()
    print("# skip: sntp: netkit sntp client -> a student SNTP server: the "
          "course has no SNTP server program (its 'server' lesson is a "
          "client)", flush=True)


def lesson_fileshare():
    with tempfile.TemporaryDirectory() as root:
        os.mkdir(os.path.join(root, "docs"))
        body = b"a report\n" + bytes(range(256)) * 40
        with open(os.path.join(root, "docs", "report.bin"), "wb") as f:
            f.write(body)
        srv = netkit("fileshare", "serve", "--root", root, "--bind",
                     "127.0.0.1", "--port", "0")
        try:
            port = netkit_port(srv)
            if server_up("fileshare: netkit fileshare serve", srv, port):
                dest = os.path.join(root, "saved.bin")
                cl = student("fileshare_client.py", "--port", port,
                             "docs/report.bin", dest)
                rc = cl.finish()
                same = os.path.exists(dest) and open(dest, "rb").read() == body
                check("fileshare: student client fetches a file from netkit "
                      "fileshare serve", rc == 0 and same, cl.text())
                cl = student("fileshare_client.py", "--port", port,
                             "docs/missing.txt", os.path.join(root, "x"))
                rc = cl.finish()
                check("fileshare: student client is told the file does not "
                      "exist", rc == 2 and cl.wait_for(
                          "does not exist", timeout=0) is not None and
                      not os.path.exists(os.path.join(root, "x")), cl.text())
        finally:
            srv.stop()


def lesson_chat():
    # The student's server, netkit's client in the lesson's mode.
    srv = student("chat_server.py", "--port", "0",
                  stdin_data="hello student\nbye\n")
    try:
        port = student_port(srv)
        if server_up("chat: student server", srv, port):
            cl = netkit("chat", "connect", "--lesson", "127.0.0.1",
                        "--port", port, stdin_data="hi server\n")
            rc = cl.finish()
            out = "".join(cl.out)
            check("chat: netkit chat connect --lesson ends 0 on the "
                  "student server's bye", rc == 0, cl.text() + srv.text())
            check("chat: netkit client shows the greeting and each message "
                  "on its own line",
                  "Server : Hey You are connected....Welcome\n" in out and
                  "Server ---> hello student\n" in out and
                  "Server ---> bye\n" in out, cl.text())
            srv_rc = srv.finish()
            sout = "".join(srv.out)
            check("chat: student server got the lesson's greeting answer "
                  "and the typed line, no nick command",
                  srv_rc == 0 and "Client : Thankyou\n" in sout and
                  "Client ---> hi server\n" in sout and "/nick" not in sout,
                  srv.text())
    finally:
        srv.stop()
    # netkit's server in the lesson's mode, the student's client; the
    # server says bye.
    srv = netkit("chat", "serve", "--lesson", "--bind", "127.0.0.1",
                 "--port", "0", stdin_data="hello student\nbye\n")
    try:
        port = netkit_port(srv)
        if server_up("chat: netkit chat serve --lesson", srv, port):
            cl = student("chat_client.py", "--port", port,
                         stdin_data="hi server\n")
            rc = cl.finish()
            cout = "".join(cl.out)
            check("chat: student client ends on netkit's bye",
                  rc == 0 and "Server : Hey You are connected....Welcome\n"
                  in cout and "Server ---> hello student\n" in cout and
                  "Server doesn't want to talk" in cout, cl.text())
            src = srv.finish()
            sout = "".join(srv.out)
            check("chat: netkit chat serve --lesson shows the client's "
                  "messages and ends 0", src == 0 and
                  "Client : Thankyou\n" in sout and
                  "Client ---> hi server\n" in sout, srv.text())
    finally:
        srv.stop()
    # The student's client says the bye word.
    srv = netkit("chat", "serve", "--lesson", "--bind", "127.0.0.1",
                 "--port", "0", stdin_data="hello\nstill there?\n")
    try:
        port = netkit_port(srv)
        if server_up("chat: netkit chat serve --lesson (client's bye)", srv,
                     port):
            cl = student("chat_client.py", "--port", port,
                         stdin_data="see you\n")
            rc = cl.finish()
            src = srv.finish()
            sout = "".join(srv.out)
            check("chat: the student client's bye word ends netkit's server",
                  rc == 0 and src == 0 and "Client ---> see you\n" in sout
                  and "Client doesn't want to talk" in sout,
                  srv.text() + cl.text())
    finally:
        srv.stop()
    # netkit's client says the bye word to the student's server.
    srv = student("chat_server.py", "--port", "0",
                  stdin_data="hello\nmore\n")
    try:
        port = student_port(srv)
        if server_up("chat: student server (client's bye)", srv, port):
            cl = netkit("chat", "connect", "--lesson", "127.0.0.1",
                        "--port", port, stdin_data="tata\n")
            rc = cl.finish()
            srv_rc = srv.finish()
            check("chat: netkit client's bye word ends the student server",
                  rc == 0 and srv_rc == 0 and "Client doesn't want to talk"
                  in "".join(srv.out), cl.text() + srv.text())
    finally:
        srv.stop()


def room_pieces(srv, port):
    """A line that arrives in two pieces, well within the pause, is one
    line: the pause counts from the last byte."""
    import socket
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    try:
        sock.sendall(b"/nick pieces\n")
        srv.wait_for(r"pieces joined|known as pieces", timeout=5)
        sock.sendall(b"half ")
        time.sleep(0.05)
        sock.sendall(b"and half\n")
        got = srv.wait_for(r"^pieces: half", timeout=5)
        check("room: a line sent in two pieces 50 ms apart is one line",
              got is not None and got.string.rstrip("\n") ==
              "pieces: half and half", srv.text())
        sock.sendall(b"no newline")
        t0 = time.time()
        got = srv.wait_for(r"^pieces: no newline$", timeout=5)
        took = time.time() - t0
        check("room: an unterminated line is delivered after the pause "
              "(0.3 s; took %.2f s)" % took,
              got is not None and 0.25 <= took < 3, srv.text())
    finally:
        sock.close()


def lesson_room():
    # The room (default mode) with the student's client, whose messages
    # never end in a newline: each is delivered after a short pause.
    srv = netkit("chat", "serve", "--bind", "127.0.0.1", "--port", "0",
                 "--name", "op", keep_stdin=True)
    try:
        port = netkit_port(srv)
        if server_up("room: netkit chat serve", srv, port):
            cl = student("chat_client.py", "--port", port,
                         stdin_data="how are you\nbye\n")
            got = srv.wait_for(r"^\S+: Thankyou$", timeout=5)
            check("room: the student client's unterminated greeting answer "
                  "reaches the room", got is not None, srv.text())
            # The client answers whatever the room sends it next (the
            # room's nick notice, or the operator's line): its turn.
            got = srv.wait_for(r"^\S+: how are you$", timeout=3)
            if got is None:
                srv.send("hello\n")
                got = srv.wait_for(r"^\S+: how are you$", timeout=5)
            check("room: the student client's unterminated reply reaches "
                  "the room", got is not None, srv.text() + cl.text())
            srv.send("go on\n")
            rc = cl.finish()
            check("room: the student client ends on its own bye word",
                  rc == 0 and srv.wait_for(r"left", timeout=5) is not None,
                  srv.text() + cl.text())
            room_pieces(srv, port)
    finally:
        try:
            srv.p.stdin.close()
        except BrokenPipeError:
            pass
        srv.stop()


def lesson_fileshare_server():
    with tempfile.TemporaryDirectory() as root:
        share = os.path.join(root, "share")
        os.mkdir(share)
        body = b"shared by a student\n" + bytes(range(256)) * 100
        with open(os.path.join(share, "one.jpg"), "wb") as f:
            f.write(body)
        srv = student("fileshare_server.py", "--port", "0", "--root", share)
        try:
            port = student_port(srv)
            if server_up("fileshare: student server", srv, port):
                dest = os.path.join(root, "got.jpg")
                cl = netkit("fileshare", "get", "127.0.0.1", "one.jpg",
                            "--port", port, "-o", dest)
                rc = cl.finish()
                same = os.path.exists(dest) and open(dest, "rb").read() == body
                check("fileshare: netkit fileshare get fetches (and "
                      "verifies) a file from the student server",
                      rc == 0 and same, cl.text() + srv.text())
                cl = netkit("fileshare", "get", "127.0.0.1", "nope.jpg",
                            "--port", port, "-o", os.path.join(root, "n"))
                rc = cl.finish()
                check("fileshare: netkit fileshare get reports the student "
                      "server's 'does not exist' (exit 69)",
                      rc == 69 and cl.wait_for("does not exist", "err", 0)
                      is not None, cl.text() + srv.text())
        finally:
            srv.stop()


def lesson_chat_edges():
    import socket
    # A client that answers the greeting and then closes while netkit's
    # server is waiting for its own input: netkit ends at once, 0.
    srv = netkit("chat", "serve", "--lesson", "--bind", "127.0.0.1",
                 "--port", "0", keep_stdin=True)
    try:
        port = netkit_port(srv)
        if server_up("chat: netkit chat serve --lesson (peer closes)", srv,
                     port):
            sock = socket.create_connection(("127.0.0.1", int(port)), 5)
            greeting = sock.recv(1024)
            sock.sendall(b"Thankyou")
            srv.wait_for("Client : Thankyou", timeout=5)
            # A second client is refused: one client, as in the lesson.
            try:
                other = socket.create_connection(("127.0.0.1", int(port)), 5)
                other.settimeout(2)
                try:  # accepted: it must be closed at once, not greeted
                    refused = other.recv(64) == b""
                except OSError:  # a timeout: held in the backlog
                    refused = False
                other.close()
            except ConnectionRefusedError:
                refused = True
            check("chat: --lesson serves one client (a second is refused)",
                  refused, srv.text())
            sock.close()
            rc = srv.finish(10)
            check("chat: --lesson server ends 0 when the client closes "
                  "during its turn", greeting ==
                  b"Hey You are connected....Welcome" and rc == 0 and
                  srv.wait_for("Client closed the connection", timeout=0)
                  is not None, srv.text())
    finally:
        try:
            srv.p.stdin.close()
        except BrokenPipeError:
            pass
        srv.stop()
    # netkit both ways: a whole conversation, and the options --lesson
    # refuses.
    srv = netkit("chat", "serve", "--lesson", "--bind", "127.0.0.1",
                 "--port", "0", stdin_data="one\ntwo\nbubye\n")
    try:
        port = netkit_port(srv)
        if server_up("chat: netkit --lesson pair", srv, port):
            cl = netkit("chat", "connect", "--lesson", "127.0.0.1", "--port",
                        port, stdin_data="\nuno\ndos\n")
            rc, src = cl.finish(), srv.finish()
            want = ["Server ---> one", "Client ---> uno", "Server ---> two",
                    "Client ---> dos", "Server ---> bubye",
                    "Server doesn't want to talk to you anymore"]
            check("chat: netkit --lesson server and client take turns (an "
                  "empty line is not sent)", rc == 0 and src == 0 and
                  [l.rstrip("\n") for l in cl.out[1:]] == want and
                  [l.rstrip("\n") for l in srv.out] ==
                  ["Client : Thankyou"] + want, cl.text() + srv.text())
    finally:
        srv.stop()
    cl = netkit("chat", "serve", "--lesson", "--port", "0", "--rate", "5")
    rc = cl.finish()
    check("chat: --lesson refuses the room's options (exit 64)",
          rc == 64 and cl.wait_for("not an option of --lesson", "err", 0)
          is not None, cl.text())


def main():
    lessons = [("echo", lesson_echo), ("udp", lesson_udp),
               ("sntp", lesson_sntp), ("fileshare", lesson_fileshare)]
    lessons += [("fileshare-server", lesson_fileshare_server),
                ("chat-lesson", lesson_chat),
                ("chat-lesson-edges", lesson_chat_edges),
                ("chat-room", lesson_room)]
    for name, fn in lessons:
        if FILTER in name:
            fn()
    reports = [p.text() for p in NETKIT_RUNS
               if "Sanitizer" in "".join(p.err) or "runtime error" in
               "".join(p.err)]
    check("no sanitizer report from any netkit run (%d runs)"
          % len(NETKIT_RUNS), not reports, "\n".join(reports))
    print("%d passed, %d failed" % tuple(results), flush=True)
    return 1 if results[1] else 0


if __name__ == "__main__":
    sys.exit(main())
