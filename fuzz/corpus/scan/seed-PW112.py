from myapp.models import Article


def listing(term, column, clauses, direction):
    Article.objects.extra(where=[f"title ILIKE '%%{term}%%'"])  # ruleid: PW112
    Article.objects.filter(live=True).extra(order_by=[column + " DESC"])  # ruleid: PW112
    Article.objects.extra(where=clauses)  # ruleid: PW112
    Article.objects.extra(select={"rank": "ts_rank(body, '%s')" % term})  # ruleid: PW112
    Article.objects.extra(tables=["tags"], where=["tags.name = {}".format(term)])  # ruleid: PW112
    Article.objects.extra(where=["title ILIKE %s"], params=[f"%{term}%"])  # ok: PW112
    Article.objects.extra(select={"is_recent": "pub_date > '2020-01-01'"})  # ok: PW112
    Article.objects.extra(order_by=["-pub_date"])  # ok: PW112
    Article.objects.order_by(column if column in {"title", "pub_date"} else "title")  # ok: PW112
