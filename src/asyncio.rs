//! Model 1, asyncio: futures on the page's own event loop.
