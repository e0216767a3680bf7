from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse

app = FastAPI(title="cards")


def render_card(display_name: str, city: str) -> str:
    return (
        "<div class='card'>"
        f"<h2>{display_name}</h2>"
        f"<p class='city'>{city}</p>"
        "</div>"
    )


@app.get("/cards/preview")
async def preview_card(
    display_name: str = Query(..., max_length=80),
    city: str = Query("", max_length=80),
):
    return {"display_name": display_name, "city": city}


@app.get("/cards/ping")
async def ping():
    return {"ok": True}
