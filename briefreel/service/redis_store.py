"""The job store in Redis, for a render farm on several machines (``BRIEFREEL_STORE=redis://host:port/db``).

Same interface and rules as :class:`briefreel.service.store.JobStore` (leases, reaping, finishing only by the
holder), each rule one small Lua script so that it is atomic on the server. A job is a hash
``briefreel:job:<id>``; running jobs are also in the set ``briefreel:running`` (what the reaper scans), and every
job is in ``briefreel:jobs`` and ``briefreel:owner:<key id>`` (sorted by creation time, for listing).

With this store the API and the workers share nothing on disk but the outputs: put those in S3-compatible
storage (``BRIEFREEL_STORAGE=s3://...``). The embedded mode keeps SQLite (its queue is the store).
"""

from __future__ import annotations

import json
import time
from typing import Any

from briefreel.service.store import FINAL, STATUSES

_NUM = ("priority", "created", "updated", "started", "finished", "attempts", "not_before", "lease_until")

_CLAIM = """
local k = KEYS[1]
local st = redis.call('HGET', k, 'status')
if not st then return 0 end
local lease = tonumber(redis.call('HGET', k, 'lease_until') or '') or 0
if st == 'queued' or (st == 'running' and lease < tonumber(ARGV[3])) then
  redis.call('HSET', k, 'status', 'running', 'worker', ARGV[1], 'lease_until', tonumber(ARGV[3]) + tonumber(ARGV[2]),
             'updated', ARGV[3])
  if (redis.call('HGET', k, 'started') or '') == '' then redis.call('HSET', k, 'started', ARGV[3]) end
  redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('SADD', KEYS[2], ARGV[4])
  return 1
end
return 0
"""

_HEARTBEAT = """
local k = KEYS[1]
if redis.call('HGET', k, 'status') == 'running' and redis.call('HGET', k, 'worker') == ARGV[1] then
  redis.call('HSET', k, 'lease_until', tonumber(ARGV[3]) + tonumber(ARGV[2]), 'updated', ARGV[3])
  return 1
end
return 0
"""

_FINISH = """
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'running' then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', k, 'worker') ~= ARGV[1] then return 0 end
redis.call('HSET', k, 'status', ARGV[2], 'finished', ARGV[3], 'updated', ARGV[3], 'error_code', ARGV[4],
           'error_message', ARGV[5], 'lease_until', '')
if ARGV[6] ~= '' then redis.call('HSET', k, 'files', ARGV[6]) end
redis.call('SREM', KEYS[2], ARGV[7])
return 1
"""

_RETRY = """
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'running' or redis.call('HGET', k, 'worker') ~= ARGV[1] then return 0 end
redis.call('HSET', k, 'status', 'queued', 'not_before', tonumber(ARGV[3]) + tonumber(ARGV[2]), 'updated', ARGV[3],
           'worker', '', 'lease_until', '', 'error_code', ARGV[4], 'error_message', ARGV[5])
redis.call('SREM', KEYS[2], ARGV[6])
return 1
"""

_CANCEL = """
local k = KEYS[1]
local st = redis.call('HGET', k, 'status')
if not st then return 0 end
if st == 'queued' then
  redis.call('HSET', k, 'status', 'cancelled', 'finished', ARGV[1], 'updated', ARGV[1], 'cancel_requested', 1,
             'error_code', 'cancelled', 'error_message', 'cancelled before it started')
elseif st == 'running' then
  redis.call('HSET', k, 'cancel_requested', 1, 'updated', ARGV[1])
end
return 1
"""

_REAP = """
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = ARGV[2] .. id
  local lease = tonumber(redis.call('HGET', k, 'lease_until') or '')
  if redis.call('HGET', k, 'status') ~= 'running' then
    redis.call('SREM', KEYS[1], id)
  elseif lease and lease < tonumber(ARGV[1]) then
    redis.call('HSET', k, 'status', 'queued', 'worker', '', 'lease_until', '', 'updated', ARGV[1])
    redis.call('SREM', KEYS[1], id)
    table.insert(out, id)
  end
end
return out
"""

_UNREAP = """
local k = KEYS[1]
if redis.call('HGET', k, 'status') == 'queued' then
  redis.call('HSET', k, 'status', 'running', 'worker', 'reaper', 'lease_until', 0)
  redis.call('SADD', KEYS[2], ARGV[1])
end
return 1
"""

_SET_SHOT = """
local k = KEYS[1]
local raw = redis.call('HGET', k, 'progress')
if not raw then return 0 end
local progress = cjson.decode(raw)
local info = cjson.decode(ARGV[3])
for _, p in ipairs(progress) do
  if p['id'] == ARGV[1] then
    p['state'] = ARGV[2]
    for key, value in pairs(info) do p[key] = value end
  end
end
redis.call('HSET', k, 'progress', cjson.encode(progress), 'updated', ARGV[4])
return 1
"""

_CLAIM_SHOT = """
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'running' then return 0 end
local raw = redis.call('HGET', k, 'progress')
if not raw then return 0 end
local progress = cjson.decode(raw)
local now = tonumber(ARGV[4])
for _, p in ipairs(progress) do
  if p['id'] == ARGV[1] then
    local s = p['state']
    local free = s == 'pending' or s == 'failed' or
      (s == 'rendering' and (p['worker'] == ARGV[2] or (tonumber(p['lease_until']) or 0) < now))
    if not free then return 0 end
    p['state'] = 'rendering'
    p['worker'] = ARGV[2]
    p['lease_until'] = now + tonumber(ARGV[3])
    redis.call('HSET', k, 'progress', cjson.encode(progress), 'updated', ARGV[4])
    return 1
  end
end
return 0
"""


class RedisJobStore:
    def __init__(self, url: str, prefix: str = "briefreel:"):
        import redis

        self.url = url
        self.prefix = prefix
        self.r = redis.Redis.from_url(url, decode_responses=True)
        self._scripts = {name: self.r.register_script(src) for name, src in (
            ("claim", _CLAIM), ("heartbeat", _HEARTBEAT), ("finish", _FINISH), ("retry", _RETRY),
            ("cancel", _CANCEL), ("reap", _REAP), ("unreap", _UNREAP), ("set_shot", _SET_SHOT),
            ("claim_shot", _CLAIM_SHOT))}

    def _k(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    @property
    def _running(self) -> str:
        return f"{self.prefix}running"

    def _row(self, h: dict) -> dict | None:
        if not h:
            return None
        job: dict[str, Any] = dict(h)
        for key in _NUM:
            v = job.get(key, "")
            job[key] = None if v in ("", None) else (int(float(v)) if key in ("priority", "attempts") else float(v))
        job["attempts"] = job["attempts"] or 0
        job["not_before"] = job["not_before"] or 0.0
        for key in ("options", "progress", "files"):
            job[key] = json.loads(job.get(key) or ("{}" if key == "options" else "[]"))
        job["cancel_requested"] = job.get("cancel_requested") == "1"
        for key in ("worker", "error_code", "error_message"):
            job[key] = job.get(key) or None
        job["title"] = job.get("title", "")
        return job

    # -- the API's side -----------------------------------------------------------------------------------------
    def create(self, job_id: str, owner: str, *, title: str, options: dict, shot_ids: list[str],
               priority: int = 5, files: list[str] | None = None) -> dict:
        now = time.time()
        fields = {"id": job_id, "owner": owner, "status": "queued", "priority": priority, "created": now,
                  "updated": now, "started": "", "finished": "", "title": title, "options": json.dumps(options),
                  "progress": json.dumps([{"id": s, "state": "pending"} for s in shot_ids]),
                  "files": json.dumps(files or []), "error_code": "", "error_message": "", "attempts": 0,
                  "not_before": 0, "cancel_requested": 0, "worker": "", "lease_until": ""}
        pipe = self.r.pipeline()
        pipe.hset(self._k(job_id), mapping=fields)
        pipe.zadd(f"{self.prefix}jobs", {job_id: now})
        pipe.zadd(f"{self.prefix}owner:{owner}", {job_id: now})
        pipe.execute()
        return self.get(job_id)

    def get(self, job_id: str) -> dict | None:
        return self._row(self.r.hgetall(self._k(job_id)))

    def list(self, owner: str | None = None, status: str | None = None, limit: int = 50) -> list[dict]:
        index = f"{self.prefix}owner:{owner}" if owner is not None else f"{self.prefix}jobs"
        out: list[dict] = []
        start = 0
        while len(out) < limit:
            ids = self.r.zrevrange(index, start, start + 199)
            if not ids:
                break
            start += len(ids)
            for job_id in ids:
                job = self.get(job_id)
                if job and (status is None or job["status"] == status):
                    out.append(job)
                    if len(out) >= limit:
                        break
        return out

    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for job_id in self.r.zrange(f"{self.prefix}jobs", 0, -1):
            st = self.r.hget(self._k(job_id), "status")
            if st:
                counts[st] = counts.get(st, 0) + 1
        return counts

    def request_cancel(self, job_id: str) -> dict | None:
        if not self._scripts["cancel"](keys=[self._k(job_id)], args=[time.time()]):
            return None
        return self.get(job_id)

    def delete(self, job_id: str) -> bool:
        """Forget a job (a submission taken back, or the retention sweeper)."""
        owner = self.r.hget(self._k(job_id), "owner")
        pipe = self.r.pipeline()
        pipe.delete(self._k(job_id))
        pipe.zrem(f"{self.prefix}jobs", job_id)
        if owner:
            pipe.zrem(f"{self.prefix}owner:{owner}", job_id)
        pipe.srem(self._running, job_id)
        return bool(pipe.execute()[0])

    def finished_jobs(self, before: float | None = None, limit: int = 1000) -> list[dict]:
        """Finished jobs (done, failed, cancelled), oldest finish first; only those finished before ``before``."""
        out = []
        for job_id in self.r.zrange(f"{self.prefix}jobs", 0, -1):  # by creation: a finish order needs a sort
            job = self.get(job_id)
            if job and job["status"] in FINAL and job["finished"] and (before is None or job["finished"] < before):
                out.append(job)
        out.sort(key=lambda j: j["finished"])
        return out[:limit]

    # -- the workers' side --------------------------------------------------------------------------------------
    def claim_next(self, worker: str, lease_s: float) -> dict | None:
        raise NotImplementedError("the embedded queue keeps its jobs in SQLite; the Redis store is for Celery mode")

    def claim(self, job_id: str, worker: str, lease_s: float) -> dict | None:
        ok = self._scripts["claim"](keys=[self._k(job_id), self._running], args=[worker, lease_s, time.time(), job_id])
        return self.get(job_id) if ok else None

    def heartbeat(self, job_id: str, worker: str, lease_s: float) -> bool:
        return bool(self._scripts["heartbeat"](keys=[self._k(job_id)], args=[worker, lease_s, time.time()]))

    def cancel_requested(self, job_id: str) -> bool:
        return self.r.hget(self._k(job_id), "cancel_requested") == "1"

    def set_shot(self, job_id: str, shot_id: str, state: str, **info) -> None:
        self._scripts["set_shot"](keys=[self._k(job_id)], args=[shot_id, state, json.dumps(info or {"state": state}),
                                                                 time.time()])

    def claim_shot(self, job_id: str, shot_id: str, worker: str, lease_s: float) -> bool:
        """As :meth:`JobStore.claim_shot` (one Lua script: atomic across workers on several machines)."""
        return bool(self._scripts["claim_shot"](keys=[self._k(job_id)], args=[shot_id, worker, lease_s, time.time()]))

    def finish(self, job_id: str, worker: str | None, status: str, *, error_code: str | None = None,
               error_message: str | None = None, files: list[str] | None = None) -> bool:
        assert status in FINAL
        return bool(self._scripts["finish"](
            keys=[self._k(job_id), self._running],
            args=[worker or "", status, time.time(), error_code or "", error_message or "",
                  json.dumps(files) if files is not None else "", job_id]))

    def retry_later(self, job_id: str, worker: str, delay: float, error_code: str, error_message: str) -> bool:
        return bool(self._scripts["retry"](keys=[self._k(job_id), self._running],
                                           args=[worker, delay, time.time(), error_code, error_message, job_id]))

    def reap(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        return list(self._scripts["reap"](keys=[self._running], args=[now if now != float("inf") else 1e300,
                                                                      f"{self.prefix}job:"]))

    def unreap(self, job_id: str) -> None:
        self._scripts["unreap"](keys=[self._k(job_id), self._running], args=[job_id])

    def requeue_running(self) -> list[str]:
        return self.reap(now=float("inf"))
