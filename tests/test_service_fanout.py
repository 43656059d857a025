"""Shot-parallel jobs (briefreel/service/fanout.py): the shot claims that let several workers render one job's shots,
on both job stores (SQLite; a real Redis). The farm end to end, two Celery workers on one 6-shot Wan job, is
``bench/wan_shot_parallel.py``."""

from __future__ import annotations

import time

from briefreel.job import RenderOptions
from briefreel.service.fanout import wanted
from briefreel.service.settings import Settings
from briefreel.storyboard.schema import Storyboard
from tests.test_service_store import any_store, make, redis_url  # noqa: F401 - fixtures


def test_one_worker_a_shot_renewed_by_its_holder_taken_over_when_its_lease_runs_out(any_store):  # noqa: F811
    store = any_store
    make(store, "j1")
    assert not store.claim_shot("j1", "S01", "w1", 30)  # only a running job's shots
    assert store.claim("j1", "w1", 30)
    assert store.claim_shot("j1", "S01", "w1", 30)
    assert not store.claim_shot("j1", "S01", "w2", 30)  # held
    assert store.claim_shot("j1", "S01", "w1", 30)  # renewed by its holder
    assert store.claim_shot("j1", "S02", "w2", 0.2)
    time.sleep(0.4)
    assert store.claim_shot("j1", "S02", "w1", 30)  # w2's lease ran out: w1 takes it over
    store.set_shot("j1", "S01", "done", seconds=1.0)
    assert not store.claim_shot("j1", "S01", "w2", 30)  # done: never again
    store.set_shot("j1", "S02", "failed")
    assert store.claim_shot("j1", "S02", "w2", 30)  # a failed shot is free
    shots = {p["id"]: p for p in store.get("j1")["progress"]}
    assert shots["S01"]["state"] == "done" and shots["S02"]["state"] == "rendering" and shots["S02"]["worker"] == "w2"
    assert not store.claim_shot("j1", "S99", "w1", 30) and not store.claim_shot("nope", "S01", "w1", 30)


def test_only_wan_jobs_on_a_celery_farm_fan_out():
    board = Storyboard.model_validate({"shots": [{"id": f"S{i}", "size": "MS", "duration_s": 1.0,
                                                  "description": "x"} for i in range(3)]})
    one = Storyboard.model_validate({"shots": [board.shots[0].model_dump()]})
    farm = Settings(broker="redis://127.0.0.1:1/0")
    wan = RenderOptions.build({"renderer": "wan"})
    assert wanted(farm, wan, board)
    assert not wanted(farm, wan, one) and not wanted(farm, RenderOptions.build({}), board)
    assert not wanted(Settings(), wan, board)  # the embedded queue renders a job in one place
    farm.shot_parallel = False
    assert not wanted(farm, wan, board)
