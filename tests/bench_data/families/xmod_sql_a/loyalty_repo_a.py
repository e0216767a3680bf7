import aiosqlite

DB_FILE = "loyalty.db"


async def points_history(member_id, kind):
    query = (
        "SELECT at, delta, reason FROM points_ledger "
        "WHERE member_id = %s AND kind = '%s' ORDER BY at DESC LIMIT 100"
        % (member_id, kind)
    )
    async with aiosqlite.connect(DB_FILE) as db:
        async with db.execute(query) as cur:
            return await cur.fetchall()


async def balance(member_id):
    async with aiosqlite.connect(DB_FILE) as db:
        async with db.execute(
            "SELECT COALESCE(SUM(delta), 0) FROM points_ledger WHERE member_id = ?",
            (member_id,),
        ) as cur:
            (total,) = await cur.fetchone()
            return total
