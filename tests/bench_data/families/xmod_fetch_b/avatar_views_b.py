from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from avatar_client_b import content_digest, download_image

app = FastAPI()
PROVIDERS = {
    "gravatar": "https://www.gravatar.com/avatar/{}?s=256&d=404",
    "github": "https://avatars.githubusercontent.com/{}?size=256",
}


class AvatarImport(BaseModel):
    image_url: str


@app.post("/me/avatar/import")
def import_avatar(body: AvatarImport):
    url = body.image_url
    if not url.startswith(("http://", "https://")):
        raise HTTPException(status_code=400, detail="http(s) URL required")
    try:
        data = download_image(url)
    except Exception:
        raise HTTPException(status_code=422, detail="could not import avatar")
    return {"sha256": content_digest(data), "size": len(data)}
