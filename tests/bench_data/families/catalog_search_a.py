from django.db import connection
from django.http import JsonResponse
from django.views import View


class ProductRepository:
    table = "catalog_product"

    def search(self, term, category_id):
        pattern = f"%{term}%"
        sql = (
            f"SELECT id, sku, name, price FROM {self.table} "
            f"WHERE category_id = %s AND name LIKE '{pattern}' ORDER BY name"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [category_id])
            cols = [c[0] for c in cursor.description]
            return [dict(zip(cols, row)) for row in cursor.fetchall()]


class CatalogSearchView(View):
    repo = ProductRepository()

    def get(self, request, category_id):
        term = request.GET.get("q", "")
        if len(term) < 2:
            return JsonResponse({"results": []})
        results = self.repo.search(term, category_id)
        return JsonResponse({"count": len(results), "results": results})
