import asyncio
import re

from fastapi import FastAPI, HTTPException

app = FastAPI()
DOMAIN_RE = re.compile(r"(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}", re.IGNORECASE)


@app.get("/tools/dns")
async def dns_lookup(domain: str):
    if domain.startswith("-") or not DOMAIN_RE.fullmatch(domain):
        raise HTTPException(status_code=400)
    proc = await asyncio.create_subprocess_exec(
        "nslookup", domain, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return {"output": out.decode()}
