"""A replica of CPython's test_run_coroutine_threadsafe_with_timeout: a
coroutine submitted from an executor thread must not be done when the
thread asks for its result with timeout=0 (it sleeps 50 ms). Window: from
the thread's write to the loop's self-pipe (in call_soon_threadsafe) to
its future.result(0). Opened by a hold of 50 ms or more after that write
(send on a socket)."""
import asyncio
import concurrent.futures
import sys


async def add(a, b):
    await asyncio.sleep(0.05)
    return a + b


def target(loop):
    future = asyncio.run_coroutine_threadsafe(add(1, 2), loop)
    try:
        return future.result(0)
    finally:
        future.done() or future.cancel()


async def main():
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, target, loop)
    except (asyncio.TimeoutError, concurrent.futures.TimeoutError):
        return 0
    print("race: TimeoutError not raised: the coroutine was done before"
          " the thread asked", file=sys.stderr)
    return 1


sys.exit(asyncio.run(main()))
