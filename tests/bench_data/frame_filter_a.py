import pandas as pd
from fastapi import FastAPI

app = FastAPI()
FRAME = pd.read_parquet("/data/inventory.parquet")


@app.get("/inventory")
def inventory(where: str = "quantity > 0"):
    return FRAME.query(where).head(100).to_dict(orient="records")
