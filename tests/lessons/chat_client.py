"""A student's one-to-one chat client, the lesson's shape: connect, read
the greeting once, answer "Thankyou" (no line ending), then take turns:
read the server's one recv(1024) (stripped, lower-cased, compared with
the bye words as a whole), type an answer and send it. Typed lines come
from stdin; the end of stdin, or the server closing, ends it."""
import argparse
import socket

BYE_WORDS = ["bye", "byebye", "bubye", "bye bye", "tata", "see you"]

parser = argparse.ArgumentParser(description="one-to-one chat client")
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("127.0.0.1", args.port))
print("connected to 127.0.0.1 port %d" % args.port, flush=True)
print("Server : " + sock.recv(1024).decode(), flush=True)
sock.send("Thankyou".encode())
while True:
    theirs = sock.recv(1024).decode().strip().lower()
    print("Server ---> " + theirs, flush=True)
    if theirs in BYE_WORDS:
        print("Server doesn't want to talk to you anymore", flush=True)
        break
    if theirs == "":
        print("(the server closed)", flush=True)
        break
    try:
        mine = input("Client ---> ")
    except EOFError:
        print("(no more input)", flush=True)
        break
    sock.send(mine.encode())
    if mine in BYE_WORDS:
        print("Client doesn't want to talk to you anymore", flush=True)
        break
sock.close()
