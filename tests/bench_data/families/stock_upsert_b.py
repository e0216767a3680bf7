import sqlite3

from aiohttp import web


class InventoryDao:
    def __init__(self, path):
        self.conn = sqlite3.connect(path, check_same_thread=False)

    def set_quantity(self, sku, warehouse, qty):
        self.conn.execute(
            "INSERT INTO stock (sku, warehouse, qty) VALUES (?, ?, ?) "
            "ON CONFLICT (sku, warehouse) DO UPDATE SET qty = excluded.qty",
            (sku, warehouse, qty),
        )
        self.conn.commit()


class InventoryView(web.View):
    async def post(self):
        form = await self.request.post()
        try:
            qty = int(form["qty"])
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="qty must be an integer")
        dao: InventoryDao = self.request.app["inventory"]
        dao.set_quantity(form.get("sku", ""), form.get("warehouse", "main"), qty)
        return web.json_response({"sku": form.get("sku"), "qty": qty})


app = web.Application()
app["inventory"] = InventoryDao("inventory.db")
app.router.add_view("/inventory", InventoryView)
