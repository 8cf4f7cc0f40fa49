#!/usr/bin/env python3
"""Inspects a document of ws-server's /inspect service with Python's
websockets library: any WebSocket client that speaks the message format can
do what ws-inspect does.  Written from the message format alone.

    inspect-client.py ws://127.0.0.1:PORT/inspect DOC

Prints the widgets' properties as JSON, one per line, in the document's
order; exits 1 on an error reply."""
import asyncio
import itertools
import json
import sys

import websockets


async def inspect(url, doc):
    ids = itertools.count(1)
    waiting = {}  # id -> the future its reply completes

    async with websockets.connect(url) as ws:

        async def read_replies():
            async for text in ws:
                reply = json.loads(text)
                future = waiting.pop(reply.get("id"), None)
                if future is None:
                    print("stray message:", text, file=sys.stderr)
                elif "error" in reply:
                    future.set_exception(RuntimeError(reply["error"]["message"]))
                else:
                    future.set_result(reply["result"])

        async def call(method, **params):
            request_id = next(ids)
            future = asyncio.get_running_loop().create_future()
            waiting[request_id] = future
            await ws.send(json.dumps(
                {"method": method, "params": params, "id": request_id}))
            return await asyncio.wait_for(future, timeout=5)

        async def widget_of(container_id):
            container = await call("GetWidgetContainer", id=container_id)
            return await call("GetWidgetProperties", id=container["widgetId"])

        reader = asyncio.create_task(read_replies())
        document = await call("GetDocument", id=doc)
        # Every container at once; each widget as soon as its container is known.
        widgets = await asyncio.gather(
            *(widget_of(c) for c in document["widgetContainerIds"]))
        reader.cancel()
        return widgets


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: inspect-client.py URL DOC")
    try:
        widgets = asyncio.run(inspect(sys.argv[1], sys.argv[2]))
    except RuntimeError as error:
        sys.exit(f"inspect-client.py: {error}")
    for widget in widgets:
        print(json.dumps(widget))


main()
