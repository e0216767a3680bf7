from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader

app = FastAPI()
templates = Jinja2Templates(directory="templates")
templates.env.loader = DictLoader({
    "receipt.html": "<html><body><h2>Receipt for {{ customer }}</h2>"
                    "<p>Gift message: {{ message }}</p></body></html>",
})
templates.env.autoescape = True


@app.get("/receipt")
async def receipt(request: Request, customer: str = "", message: str = ""):
    return templates.TemplateResponse(
        request,
        "receipt.html",
        {"customer": customer, "message": message},
    )


@app.get("/health")
async def health():
    return {"ok": True}
