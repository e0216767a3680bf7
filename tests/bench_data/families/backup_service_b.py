import datetime
import logging
import re
import subprocess

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

logger = logging.getLogger("backup")
DB_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class BackupService:
    def __init__(self, target_dir="/backups"):
        self.target_dir = target_dir

    def _run(self, command):
        logger.info("running: %s", command)
        return subprocess.run(command, shell=True, capture_output=True, text=True)

    def dump(self, database):
        stamp = datetime.date.today().isoformat()
        out = f"{self.target_dir}/{database}-{stamp}.sql.gz"
        result = self._run(f"pg_dump {database} | gzip > {out}")
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-500:])
        return out


class BackupRequest(BaseModel):
    database: str


app = FastAPI()
service = BackupService()


@app.post("/admin/backups")
def create_backup(req: BackupRequest):
    try:
        path = service.dump(req.database)
    except RuntimeError:
        raise HTTPException(status_code=500, detail="backup failed")
    return {"path": path}
