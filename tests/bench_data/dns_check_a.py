import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/tools/dns")
async def dns_lookup(domain: str):
    proc = await asyncio.create_subprocess_shell(
        f"nslookup {domain}", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return {"output": out.decode()}
