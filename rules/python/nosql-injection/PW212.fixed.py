def queries(collection, owner, expression, limit):
    a = collection.find({"owner": str(owner)})  # ruleid: PW212
    b = collection.find({"$where": "this.total > " + limit})  # ruleid: PW212
    c = collection.find({"$where": expression})  # ruleid: PW212
    d = collection.find({"$where": "this.total > this.limit"})  # ok: PW212
    e = collection.find({"owner": str(owner)})  # ok: PW212
    f = collection.find({"$expr": {"$gt": ["$total", "$limit"]}})  # ok: PW212
    return a, b, c, d, e, f
