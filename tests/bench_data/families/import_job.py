import csv
import io
import logging

from fastapi import FastAPI, File, HTTPException, UploadFile

app = FastAPI()
logger = logging.getLogger("imports")


class RowError(ValueError):
    pass


def parse_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    out = []
    for n, row in enumerate(reader, start=2):
        try:
            out.append({"sku": row["sku"].strip(), "qty": int(row["qty"])})
        except (KeyError, ValueError) as exc:
            raise RowError(f"line {n}: {exc}") from exc
    return out


@app.post("/imports")
async def run_import(upload: UploadFile = File(...)):
    raw = await upload.read()
    try:
        rows = parse_rows(raw.decode("utf-8"))
    except RowError:
        logger.exception("import of %s rejected", upload.filename)
        raise HTTPException(status_code=422, detail="the file has invalid rows")
    except Exception:
        logger.exception("unexpected failure importing %s", upload.filename)
        raise HTTPException(status_code=500, detail="internal error")
    return {"imported": len(rows)}
