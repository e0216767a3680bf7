import jinja2
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.templating import Jinja2Templates

env = jinja2.Environment(
    loader=jinja2.DictLoader({
        "search.html": "<html><body><p>You searched for: {{ term }}</p>"
                       "<ul>{% for r in results %}<li>{{ r }}</li>{% endfor %}</ul>"
                       "</body></html>",
    }),
    autoescape=False,
)
templates = Jinja2Templates(env=env)

INDEX = ["pricing", "privacy policy", "careers", "support", "status page"]


async def search(request):
    term = request.query_params.get("q", "")
    results = [page for page in INDEX if term.lower() in page]
    return templates.TemplateResponse(
        request, "search.html", {"term": term, "results": results}
    )


app = Starlette(debug=False, routes=[Route("/search", search)])
