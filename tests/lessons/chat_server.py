"""A student's one-to-one chat server, the lesson's shape: accept one
client, send the greeting (no line ending), read the client's answer
once, then take turns: type a message and send it, read the client's one
recv(1024). Either side's bye word ends it (compared as the whole
message, stripped and lower-cased). Typed lines come from stdin; the end
of stdin closes the talk. --port 0: any free port, printed first."""
import argparse
import socket

BYE_WORDS = ["bye", "byebye", "bubye", "bye bye", "tata", "see you"]

parser = argparse.ArgumentParser(description="one-to-one chat server")
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", args.port))
listener.listen()
print("chat server up on 127.0.0.1 port %d" % listener.getsockname()[1],
      flush=True)
conn, peer = listener.accept()
print("client at %s port %d" % peer, flush=True)
conn.send("Hey You are connected....Welcome".encode())
print("Client : " + conn.recv(1024).decode(), flush=True)
while True:
    try:
        mine = input("Server ---> ")
    except EOFError:
        print("(no more input)", flush=True)
        break
    conn.send(mine.encode())
    if mine.strip().lower() in BYE_WORDS:
        print("Server doesn't want to talk to you anymore", flush=True)
        break
    theirs = conn.recv(1024).decode()
    print("Client ---> " + theirs, flush=True)
    if theirs.strip().lower() in BYE_WORDS:
        print("Client doesn't want to talk to you anymore", flush=True)
        break
    if theirs == "":
        print("(the client closed)", flush=True)
        break
conn.close()
