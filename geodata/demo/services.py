"""Records of the town's services over the last year: approvals at the service
centre, tasks issued by the leadership, public-opinion items, and medical insurance
per grid.

brief.md, "The reference town": administration — "approvals — 395 service items,
313 without a visit, 91 'at most one trip', enterprise registration in 1 day";
online environment — "public-opinion monitoring (舆情)"; leadership — "tasks issued
as instructions"; livelihood — "medical insurance". Rates are set so the wall's KPIs
land where published accounts of such towns do: approvals done on time ≈ 98 %,
most without a visit, negative posts answered within hours, insurance coverage
≈ 95 % (lower where many residents are floating).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.demo import names
from geodata.demo.categories import MAJORS
from geodata.demo.places import PlaceSampler

#: Days of history of the record layers (the wall shows this year and the last 12 months).
HISTORY_DAYS = 400

# code, item (政务服务事项), applicant kind, time limit in days (0 = on the spot), weight,
# share online, share at a self-service kiosk
ITEMS = (
    ("S001", "企业设立登记", "enterprise", 1, 5, 0.75, 0.05),
    ("S002", "个体工商户设立登记", "enterprise", 1, 9, 0.6, 0.1),
    ("S003", "食品经营许可", "enterprise", 5, 4, 0.6, 0.0),
    ("S004", "企业变更登记", "enterprise", 1, 6, 0.8, 0.0),
    ("S005", "建设工程规划许可", "enterprise", 15, 1, 0.5, 0.0),
    ("S006", "城镇污水排入排水管网许可", "enterprise", 10, 1, 0.5, 0.0),
    ("S007", "道路挖掘及占用许可", "enterprise", 5, 1, 0.4, 0.0),
    ("S008", "户外广告设置许可", "enterprise", 5, 1, 0.5, 0.0),
    ("S009", "城乡居民医保参保登记", "personal", 0, 12, 0.5, 0.25),
    ("S010", "社会保障卡申领", "personal", 7, 8, 0.4, 0.3),
    ("S011", "居住证办理", "personal", 7, 10, 0.3, 0.2),
    ("S012", "生育登记", "personal", 1, 4, 0.8, 0.0),
    ("S013", "就业失业登记", "personal", 0, 6, 0.6, 0.2),
    ("S014", "灵活就业人员参保登记", "personal", 0, 5, 0.6, 0.2),
    ("S015", "高龄津贴申领", "personal", 10, 3, 0.3, 0.0),
    ("S016", "残疾人两项补贴申领", "personal", 10, 2, 0.3, 0.0),
    ("S017", "最低生活保障审核", "personal", 20, 1, 0.2, 0.0),
    ("S018", "临时救助申请", "personal", 10, 1, 0.2, 0.0),
    ("S019", "农村宅基地建房审批", "personal", 20, 1, 0.1, 0.0),
    ("S020", "不动产登记", "personal", 5, 5, 0.3, 0.1),
    ("S021", "退役军人优待证申领", "personal", 10, 1, 0.4, 0.0),
    ("S022", "医疗费用零星报销", "personal", 15, 6, 0.5, 0.1),
    ("S023", "公积金提取", "personal", 3, 5, 0.7, 0.15),
    ("S024", "出生医学证明与户口登记联办", "personal", 5, 3, 0.6, 0.0),
)
#: Applications on a working day (≈ 28k a year; weekends and nights only online).
PER_WORKDAY = 100
#: Opinion items a day, and where the places they concern lie.
OPINION_PER_DAY = 7
PLATFORM_P = {"weibo": 0.22, "wechat": 0.3, "douyin": 0.18, "forum": 0.12, "news": 0.06, "gov_portal": 0.12}
SENTIMENT_P = (0.2, 0.5, 0.3)   # positive, neutral, negative
TASKS_PER_WEEK = 7
TASK_LIMIT_DAYS = (7, 15, 30, 60)
_TASKS = {
    "key_project": ("督促{project}加快建设进度", "协调解决{project}用地问题", "{project}节点目标督查"),
    "work_safety": ("开展{topic}安全生产专项检查", "{community}消防隐患集中整治", "汛期安全隐患排查"),
    "environment": ("{river}水质提升督办", "散乱污企业整治回头看", "{river}沿岸违建拆除"),
    "livelihood": ("{community}加装电梯协调", "秋季学位供需核查", "城乡居民医保扩面", "{village}饮水安全提升"),
    "case_supervision": ("{community}超期案件督办", "12345热线重复诉求化解", "{village}矛盾纠纷化解"),
}
_TASK_UNIT = {"key_project": "economy", "work_safety": "safety", "environment": "environment",
              "livelihood": "social_affairs", "case_supervision": "enforcement"}
_OPINION = {"negative": ("{place}{topic}问题反映多日无人管？", "网友反映{place}{topic}问题", "{place}{topic}何时解决？"),
            "neutral": ("{place}{topic}情况通报", "关于{place}{topic}的说明", "{place}{topic}工作动态"),
            "positive": ("点赞！{place}{topic}整治见成效", "{place}{topic}焕新颜", "为{place}{topic}工作点赞")}


def _times(days: np.ndarray, start_hour: float, end_hour: float, rng) -> pd.DatetimeIndex:
    sec = rng.uniform(start_hour * 3600, end_hour * 3600, len(days)).astype(np.int64)
    return pd.to_datetime(days.astype("datetime64[s]") + sec.astype("timedelta64[s]"))


def build_approvals(rng: np.random.Generator, now: pd.Timestamp) -> pd.DataFrame:
    """Applications of the last :data:`HISTORY_DAYS` days with their channel, trips,
    promised limit, completion and rating."""
    end = np.datetime64(now.tz_localize(None).floor("s").to_datetime64(), "s")
    days = np.arange(end.astype("datetime64[D]") - HISTORY_DAYS, end.astype("datetime64[D]") + 1)
    workday = np.is_busday(days)
    n_day = rng.poisson(np.where(workday, PER_WORKDAY, PER_WORKDAY * 0.12))
    day = np.repeat(days, n_day)
    n = len(day)
    items = pd.DataFrame(ITEMS, columns=["code", "item", "applicant", "limit", "w", "online", "kiosk"])
    k = rng.choice(len(items), size=n, p=items.w / items.w.sum())
    it = items.iloc[k].reset_index(drop=True)
    u = rng.random(n)
    on_workday = np.repeat(workday, n_day)
    channel = np.where(u < it.online, "online", np.where(u < it.online + it.kiosk, "self_service", "window"))
    channel = np.where(on_workday, channel, "online")
    submitted = np.where(channel == "online", _times(day, 0, 24, rng), _times(day, 8.5, 17, rng))
    submitted = pd.to_datetime(submitted)
    limit = it["limit"].to_numpy()
    deadline = submitted + pd.to_timedelta(np.where(limit == 0, 1, limit), unit="D")
    # on the spot within hours; the rest well inside the limit, ≈ 2 % late
    late = rng.random(n) < 0.02
    frac = np.where(late, rng.uniform(1.02, 1.6, n), rng.beta(2, 4, n))
    took = np.where(limit == 0, rng.uniform(0.02, 0.3, n), limit * frac)
    done = submitted + pd.to_timedelta(np.round(took * 86400), unit="s")
    returned = rng.random(n) < 0.015
    finished = (done <= pd.Timestamp(end)) & ~returned
    visits = np.where(channel == "window", np.where(rng.random(n) < 0.9, 1, 2), 0)
    rated = finished & (rng.random(n) < 0.7)
    score = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.86, 0.09, 0.03, 0.01, 0.01])
    df = pd.DataFrame({
        "approval_id": [f"A{d:%Y%m%d}-{i:05d}" for i, d in enumerate(submitted, start=1)],
        "item_code": it.code, "item": it["item"], "applicant_kind": it.applicant, "channel": channel,
        "visits": visits, "submitted_at": submitted, "deadline": deadline,
        "completed_at": pd.Series(done).where(finished), "status": np.where(
            returned, "returned", np.where(finished, "completed", "accepted")),
        "satisfaction": pd.Series(score).where(rated).astype("Int64")})
    df = df[df.submitted_at <= pd.Timestamp(end)]
    return df.sort_values("submitted_at", kind="stable").reset_index(drop=True)


def build_tasks(rng: np.random.Generator, projects: pd.DataFrame, villages, now: pd.Timestamp) -> pd.DataFrame:
    """Tasks the leadership issued over the last year, ≈ 88 % done within their limit."""
    end = now.tz_localize(None).floor("s")
    n = int(rng.poisson(TASKS_PER_WEEK * HISTORY_DAYS / 7))
    issued = (end - pd.to_timedelta(rng.uniform(0, HISTORY_DAYS * 86400, n), unit="s")).sort_values()
    issued = issued.floor("min")
    kinds = np.array(list(_TASKS), dtype=object)
    kind = rng.choice(kinds, size=n, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    live = projects[projects.status.isin(["in_progress", "suspended"])]
    pid = np.where(kind == "key_project", rng.choice(live.project_id.to_numpy(), n), None)
    pname = dict(zip(live.project_id, live.name))
    titles = []
    for k, p in zip(kind, pid):
        t = _TASKS[k][int(rng.integers(len(_TASKS[k])))]
        titles.append(t.format(project=pname.get(p, ""), community=rng.choice(names.COMMUNITIES),
                               river=rng.choice(names.RIVERS), village=rng.choice(villages),
                               topic=rng.choice(["危化品", "有限空间", "出租房", "建筑工地", "人员密集场所"])))
    limit = pd.to_timedelta(rng.choice(TASK_LIMIT_DAYS, n), unit="D")
    frac = np.where(rng.random(n) < 0.88, rng.uniform(0.2, 1.0, n), rng.uniform(1.02, 1.5, n))
    done = issued + pd.to_timedelta(np.round(limit.total_seconds().to_numpy() * frac), unit="s")
    finished = done <= end
    status = np.where(finished, "completed", np.where(end - issued < pd.Timedelta(days=2), "issued", "in_progress"))
    return pd.DataFrame({"task_id": [f"T{i:05d}" for i in range(1, n + 1)], "title": titles, "kind": kind,
                         "lead_unit": pd.Series(kind).map(_TASK_UNIT), "project_id": pid, "issued_at": issued,
                         "deadline": issued + limit, "completed_at": pd.Series(done).where(finished),
                         "status": status})


def build_opinion_items(rng: np.random.Generator, sampler: PlaceSampler, villages: pd.DataFrame,
                        centre_zone, now: pd.Timestamp) -> pd.DataFrame:
    """Posts about the town on the web, at the place they concern; negative ones are
    answered, most within a working day (the 舆情 module's handled rate)."""
    import shapely
    end = now.tz_localize(None).floor("s")
    n = int(rng.poisson(OPINION_PER_DAY * HISTORY_DAYS))
    published = (end - pd.to_timedelta(rng.uniform(0, HISTORY_DAYS * 86400, n), unit="s")).sort_values().floor("s")
    xy = sampler.sample_many(rng.choice(np.array(["home", "road", "river", "market"], dtype=object), n,
                                        p=[0.55, 0.25, 0.1, 0.1]))
    vtree = shapely.STRtree(shapely.points(villages.x, villages.y))
    near = villages.name.to_numpy()[vtree.nearest(shapely.points(xy[:, 0], xy[:, 1]))]
    in_centre = shapely.contains_xy(centre_zone, xy[:, 0], xy[:, 1])
    place = np.where(in_centre, rng.choice(np.array(names.COMMUNITIES, dtype=object), n), near)
    majors = [m for m in MAJORS if m[0] not in ("labour", "epidemic")]
    t = rng.integers(0, len(majors), n)
    sentiment = rng.choice(np.array(["positive", "neutral", "negative"], dtype=object), n, p=SENTIMENT_P)
    titles = [_OPINION[s][int(rng.integers(3))].format(place=p, topic=majors[j][2])
              for s, p, j in zip(sentiment, place, t)]
    heat = np.round(rng.lognormal(np.log(600), 1.3, n) * np.where(sentiment == "negative", 1.6, 1.0)).astype(int)
    neg = sentiment == "negative"
    took = pd.to_timedelta(np.round(rng.exponential(8 * 3600, n)) + 600, unit="s")
    answered = neg & (rng.random(n) < 0.96) & (published + took <= end)
    age = end - published
    status = np.where(~neg, "archived", np.where(answered, "handled",
                                                 np.where(age < pd.Timedelta(hours=2), "new", "handling")))
    return pd.DataFrame({"item_id": [f"OP{i:06d}" for i in range(1, n + 1)],
                         "platform": rng.choice(list(PLATFORM_P), n, p=list(PLATFORM_P.values())),
                         "title": titles, "topic": [majors[j][0] for j in t], "sentiment": sentiment,
                         "heat": heat, "published_at": published,
                         "handled_at": pd.Series(published + took).where(answered), "status": status,
                         "x": xy[:, 0], "y": xy[:, 1]})


def build_medical_insurance(rng: np.random.Generator, grid_ids, residents: np.ndarray, floating: np.ndarray,
                            now: pd.Timestamp) -> pd.DataFrame:
    """Per grid, last year and this: who should be insured (every resident) and who is,
    in the employees' and the residents' scheme. Coverage ≈ 95 %, lower where many
    residents are floating (they insure where they are registered, or not at all)."""
    rows = []
    share_float = np.divide(floating, residents, out=np.zeros(len(residents)), where=residents > 0)
    for year, lag in ((now.year - 1, 0.006), (now.year, 0.0)):
        cover = np.clip(0.99 - 0.07 * share_float - lag + rng.normal(0, 0.006, len(residents)), 0.8, 1.0)
        insured = np.round(residents * cover).astype(int)
        employee = np.round(insured * np.clip(0.22 + 0.55 * share_float, 0, 0.9)).astype(int)
        for g, e, i, emp in zip(grid_ids, residents, insured, employee):
            rows.append((f"{g}:{year}", g, year, int(e), int(emp), int(i - emp)))
    return pd.DataFrame(rows, columns=["record_id", "grid_id", "year", "eligible", "insured_employee",
                                       "insured_resident"])
