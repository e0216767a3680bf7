import html

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route


async def unsubscribe(request):
    email = request.query_params.get("email", "")
    list_name = request.query_params.get("list", "newsletter")
    if "@" not in email:
        return JSONResponse({"error": "invalid address"}, status_code=400)
    # the actual opt-out is queued elsewhere
    page = (
        "<html><body><p>"
        + html.escape(email)
        + " has been removed from <em>"
        + html.escape(list_name)
        + "</em>.</p></body></html>"
    )
    return HTMLResponse(page)


async def health(request):
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[
    Route("/unsubscribe", unsubscribe),
    Route("/health", health),
])
