"""Order violation through a pipe: the producer writes a message, then
records it in shared state; the consumer, woken by the message, reads the
state at once. Window: from the producer's os.write (which releases the
GIL) to its store. Opened by a hold after that write."""
import os
import sys
import threading

r, w = os.pipe()
state = {}
seen = []


def consumer():
    os.read(r, 1)
    seen.append(state.get("sent"))


t = threading.Thread(target=consumer)
t.start()
os.write(w, b"x")
state["sent"] = 1
t.join()
if seen != [1]:
    print("race: order violation: the consumer ran before the message was"
          " recorded", file=sys.stderr)
    sys.exit(1)
