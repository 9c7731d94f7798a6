"""Tornado as its chat demo writes it: an echo handler and a chat room with a set() of clients.

Usage: python3 tornado_server.py PORT   (echo on /echo, one chat room on /chat/<room>)
"""
import asyncio
import gc
import signal
import sys

import tornado.web
import tornado.websocket


class EchoHandler(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


class ChatHandler(tornado.websocket.WebSocketHandler):
    waiters = set()

    def check_origin(self, origin):
        return True

    def open(self, room):
        ChatHandler.waiters.add(self)

    def on_close(self):
        ChatHandler.waiters.discard(self)

    def on_message(self, message):
        for waiter in ChatHandler.waiters:
            try:
                waiter.write_message(message)
            except tornado.websocket.WebSocketClosedError:
                pass


async def main(port):
    app = tornado.web.Application([(r"/echo", EchoHandler), (r"/chat/(.*)", ChatHandler)])
    app.listen(port, address="127.0.0.1")
    # The harness sends SIGUSR2 before it reads our memory, so RSS is measured after a GC.
    signal.signal(signal.SIGUSR2, lambda *_: gc.collect())
    print(f"tornado {tornado.version} listening on {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(main(int(sys.argv[1])))
