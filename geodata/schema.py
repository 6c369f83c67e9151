"""The data dictionary: every layer, its fields, types, code lists and ranges.

This module is the one machine-readable statement of ``../shared/contract.md``
("Layers (tables) and their columns"). The store creates tables from it, the
loaders validate against it, and ``townbrain schema`` prints it.

Examples
--------
>>> LAYERS["cases"].id_field
'case_id'
>>> FIELDS_BY_LAYER["cases"]["source"].codes
('inspector', 'citizen', 'hotline', 'iot', 'department')
>>> LAYERS["staff"].geometry is None
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: CRS of every stored layer (contract: "Stored in EPSG:4326 (lon/lat)").
STORAGE_CRS = "EPSG:4326"
#: Metric CRS for areas and lengths near 120°E: CGCS2000 / 3-degree Gauss-Kruger CM 120E.
METRIC_CRS = "EPSG:4549"
#: Zone that naive times from a file are taken to be in.
DEFAULT_TZ = "Asia/Shanghai"

#: Plausible area: mainland China plus margin, or anywhere when a layer is
#: loaded from abroad. Coordinates must be finite lon/lat in degrees.
LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    ``kind`` is one of ``text``, ``int``, ``float``, ``bool``, ``datetime``.
    ``codes`` is a closed code list (a value outside it is rejected);
    ``open_codes`` marks a category tree that grows when a file brings new codes.
    ``future`` marks a time that may lie years ahead (a deadline, a plan); other
    times may not be later than a day from now (``geodata.value_maps``).
    """

    name: str
    kind: str
    required: bool = False
    codes: tuple[str, ...] | None = None
    open_codes: bool = False
    min: float | None = None
    max: float | None = None
    doc: str = ""
    doc_zh: str = ""
    future: bool = False


@dataclass(frozen=True)
class Layer:
    name: str
    id_field: str | None
    geometry: str | None  # 'Point', 'LineString', 'Polygon', 'MultiPolygon', 'Geometry' or None
    fields: tuple[Field, ...]
    time_field: str | None = None
    doc: str = ""
    doc_zh: str = ""
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layer {self.name!r} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


SOURCES = ("inspector", "citizen", "hotline", "iot", "department")
STATUSES = ("reported", "registered", "dispatched", "handled", "feedback", "closed",
            "rework", "evaluated", "rejected")
LEVELS = ("grid", "village", "town", "district")
#: Workflow actions (the transition table is geodata.workflow.TRANSITIONS).
ACTIONS = ("close", "dispatch", "escalate", "evaluate", "extend", "feedback", "handle", "register",
           "reject", "rework")
CREDITS = ("green", "yellow", "red")
ROLES = ("inspector", "handler", "dispatcher", "officer", "auxiliary", "grid_head")
HOUSEHOLDS = ("registered", "floating")
AGE_BANDS = ("0-6", "7-17", "18-34", "35-59", "60-79", "80+")
ROAD_CLASSES = ("expressway", "main", "secondary", "village", "path")

_T, _I, _F, _B, _D = "text", "int", "float", "bool", "datetime"

_layers = [
    Layer("town", "town_id", "MultiPolygon", (
        Field("town_id", _T, True, doc="town code", doc_zh="镇编码"),
        Field("name", _T, doc="town name, shown in the title bar", doc_zh="镇名称"),
    ), doc="the town's outline and name (one row)", doc_zh="镇域"),
    Layer("districts", "district_id", "MultiPolygon", (
        Field("district_id", _T, True, doc="district code", doc_zh="片区编码"),
        Field("name", _T, doc="district name", doc_zh="片区名称"),
    ), doc="districts (片区)", doc_zh="片区"),
    Layer("grids", "grid_id", "MultiPolygon", (
        Field("grid_id", _T, True, doc="comprehensive grid code", doc_zh="综合网格编码"),
        Field("name", _T, doc="grid name", doc_zh="网格名称"),
        Field("district_id", _T, doc="district the grid belongs to", doc_zh="所属片区"),
    ), doc="comprehensive grids", doc_zh="综合网格"),
    Layer("pro_grids", "pro_grid_id", "MultiPolygon", (
        Field("pro_grid_id", _T, True, doc="professional grid code", doc_zh="专业网格编码"),
        Field("name", _T, doc="professional grid name", doc_zh="专业网格名称"),
    ), doc="professional grids (at most 80 enterprises each)", doc_zh="专业网格"),
    Layer("buildings", "building_id", "Polygon", (
        Field("building_id", _T, True, doc="building id", doc_zh="建筑编码"),
        Field("use", _T, codes=None, doc="residential, commercial, industrial, public…", doc_zh="用途"),
        Field("floors", _I, min=0, max=200, doc="floors above ground", doc_zh="层数"),
        Field("residents", _I, min=0, max=100000, doc="people living there", doc_zh="居住人数"),
    ), doc="buildings", doc_zh="建筑"),
    Layer("residents", "resident_id", "Point", (
        Field("resident_id", _T, True, doc="anonymous resident id (no names, no ID numbers)", doc_zh="人口编码(匿名)"),
        Field("building_id", _T, doc="building lived in", doc_zh="所在建筑"),
        Field("age_band", _T, codes=AGE_BANDS, doc="age band", doc_zh="年龄段"),
        Field("household", _T, codes=HOUSEHOLDS, doc="registered or floating", doc_zh="户籍/流动"),
    ), doc="residents, anonymous", doc_zh="人口"),
    Layer("enterprises", "enterprise_id", "Point", (
        Field("enterprise_id", _T, True, doc="enterprise id", doc_zh="企业编码"),
        Field("name", _T, doc="enterprise name", doc_zh="企业名称"),
        Field("industry", _T, open_codes=True, doc="industry", doc_zh="行业"),
        Field("employees", _I, min=0, max=1_000_000, doc="employees", doc_zh="从业人数"),
        Field("credit", _T, codes=CREDITS, doc="credit colour", doc_zh="信用等级"),
    ), doc="enterprises", doc_zh="企业"),
    Layer("roads", "road_id", "LineString", (
        Field("road_id", _T, True, doc="road id", doc_zh="道路编码"),
        Field("name", _T, doc="road name", doc_zh="道路名称"),
        Field("road_class", _T, open_codes=True, doc="expressway, main, secondary, village…", doc_zh="道路等级"),
    ), doc="roads", doc_zh="道路"),
    Layer("rivers", "river_id", "Geometry", (
        Field("river_id", _T, True, doc="river id", doc_zh="河道编码"),
        Field("name", _T, doc="river name", doc_zh="河道名称"),
    ), doc="rivers and canals (lines or polygons)", doc_zh="河道"),
    Layer("staff", "staff_id", None, (
        Field("staff_id", _T, True, doc="staff id", doc_zh="人员编码"),
        Field("role", _T, codes=ROLES, doc="role", doc_zh="角色"),
        Field("grid_id", _T, doc="comprehensive grid served", doc_zh="所属综合网格"),
        Field("pro_grid_id", _T, doc="professional grid served", doc_zh="所属专业网格"),
    ), doc="staff (no names)", doc_zh="人员"),
    Layer("patrols", "patrol_id", "LineString", (
        Field("patrol_id", _T, True, doc="patrol id", doc_zh="巡查编码"),
        Field("staff_id", _T, doc="inspector", doc_zh="巡查员"),
        Field("started_at", _D, doc="start", doc_zh="开始时间"),
        Field("ended_at", _D, doc="end", doc_zh="结束时间"),
    ), time_field="started_at", doc="patrols with their GPS tracks", doc_zh="巡查轨迹"),
    Layer("cases", "case_id", "Point", (
        Field("case_id", _T, True, doc="case id", doc_zh="案件编号"),
        Field("category", _T, open_codes=True, doc="major class", doc_zh="大类"),
        Field("subcategory", _T, open_codes=True, doc="minor class", doc_zh="小类"),
        Field("source", _T, codes=SOURCES, doc="where the case came from", doc_zh="来源"),
        Field("reported_by", _T, doc="staff_id of the reporter, or empty", doc_zh="上报人"),
        Field("reported_at", _D, True, doc="reported", doc_zh="上报时间"),
        Field("registered_at", _D, doc="accepted (立案); empty = not accepted", doc_zh="立案时间"),
        Field("deadline", _D, future=True, doc="time limit", doc_zh="处置时限"),
        Field("closed_at", _D, doc="closed; empty = open", doc_zh="结案时间"),
        Field("status", _T, codes=STATUSES, doc="workflow state", doc_zh="状态"),
        Field("resolved_level", _T, codes=LEVELS, doc="level that resolved it", doc_zh="解决层级"),
        Field("enforcement", _B, doc="went into formal law enforcement", doc_zh="转执法"),
        Field("updated_at", _D, doc="last written; stamped by the store on every write (the live feed)",
              doc_zh="更新时间"),
    ), time_field="reported_at", doc="cases (events, matters)", doc_zh="案件"),
    Layer("case_history", "id", None, (
        Field("id", _T, True, doc="case_id:seq, e.g. C20180102-00001:0003", doc_zh="流转记录编号"),
        Field("case_id", _T, True, doc="case", doc_zh="案件编号"),
        Field("seq", _I, True, min=1, doc="1, 2, … per case, in order", doc_zh="序号"),
        Field("action", _T, True, codes=ACTIONS, doc="workflow action", doc_zh="操作"),
        Field("from_status", _T, codes=STATUSES, doc="state before", doc_zh="原状态"),
        Field("to_status", _T, True, codes=STATUSES, doc="state after", doc_zh="新状态"),
        Field("at", _D, True, doc="when", doc_zh="时间"),
        Field("by", _T, doc="staff_id who acted", doc_zh="操作人"),
        Field("level", _T, codes=LEVELS, doc="handling level after the action", doc_zh="处置层级"),
        Field("deadline", _D, future=True, doc="deadline after the action", doc_zh="处置时限"),
        Field("note", _T, doc="free text", doc_zh="备注"),
    ), time_field="at", doc="every workflow transition of every case", doc_zh="案件流转记录"),
    Layer("quarantine", None, None, (
        Field("layer", _T, True, doc="layer the record was meant for", doc_zh="目标图层"),
        Field("source_row", _T, doc="row number or feature index in the source file", doc_zh="源行号"),
        Field("reason", _T, True, doc="why it was rejected", doc_zh="原因"),
        Field("raw", _T, doc="the original record as text", doc_zh="原始记录"),
        Field("source_file", _T, doc="file it came from", doc_zh="源文件"),
        Field("quarantined_at", _D, doc="when", doc_zh="隔离时间"),
    ), doc="rejected records with their reason", doc_zh="隔离区"),
    Layer("categories", "code", None, (
        Field("code", _T, True, doc="category code (major or major/minor)", doc_zh="类别编码"),
        Field("parent", _T, doc="major class of a minor class", doc_zh="上级类别"),
        Field("name", _T, doc="name", doc_zh="名称"),
        Field("time_limit_h", _F, min=0, doc="time limit in hours", doc_zh="处置时限(小时)"),
        Field("added_from", _T, doc="file that introduced it, empty for the built-in tree", doc_zh="来源文件"),
    ), doc="the open category tree", doc_zh="案件类别"),
    # The live intake API (intake/, geodata/intake.py): its clients, exactly-once
    # records and the GPS points of patrols still under way.
    Layer("api_keys", "key_id", None, (
        Field("key_id", _T, True, doc="public part of an API key", doc_zh="密钥编号"),
        Field("name", _T, True, doc="client the key was issued to", doc_zh="客户端名称"),
        Field("salt", _T, doc="scrypt salt (hex)", doc_zh="盐"),
        Field("key_hash", _T, doc="scrypt hash of the secret part (hex); the key itself is never stored",
              doc_zh="密钥散列"),
        Field("created_at", _D, doc="issued", doc_zh="签发时间"),
        Field("revoked_at", _D, doc="revoked; empty = valid", doc_zh="吊销时间"),
        Field("scopes", _T, doc="what the key may do, comma-separated (geodata/apikeys.py SCOPES); "
              "empty = issued before scopes: requests:write,requests:read-own", doc_zh="权限范围"),
    ), doc="API clients, keys stored hashed", doc_zh="接口密钥"),
    Layer("idempotency_keys", "id", None, (
        Field("id", _T, True, doc="key_id:idempotency key — one per client and key", doc_zh="幂等编号"),
        Field("key_id", _T, doc="API client", doc_zh="密钥编号"),
        Field("fingerprint", _T, doc="sha256 of the request it answered", doc_zh="请求指纹"),
        Field("status", _I, doc="HTTP status of the first answer", doc_zh="状态码"),
        Field("response", _T, doc="JSON body of the first answer", doc_zh="响应"),
        Field("created_at", _D, doc="when", doc_zh="时间"),
    ), time_field="created_at", doc="answers of requests sent with an idempotency key",
        doc_zh="幂等记录"),
    Layer("patrol_sessions", "patrol_id", None, (
        Field("patrol_id", _T, True, doc="patrol id", doc_zh="巡查编码"),
        Field("staff_id", _T, doc="inspector", doc_zh="巡查员"),
        Field("started_at", _D, doc="start", doc_zh="开始时间"),
        Field("ended_at", _D, doc="end; empty = under way", doc_zh="结束时间"),
        Field("key_id", _T, doc="API client that started it", doc_zh="密钥编号"),
    ), time_field="started_at", doc="patrols started through the API (the track goes to patrols at the end)",
        doc_zh="巡查会话"),
    Layer("patrol_points", None, None, (
        Field("patrol_id", _T, True, doc="patrol", doc_zh="巡查编码"),
        Field("t", _D, True, doc="GPS time", doc_zh="定位时间"),
        Field("lon", _F, True, min=-180, max=180, doc="longitude (EPSG:4326)", doc_zh="经度"),
        Field("lat", _F, True, min=-90, max=90, doc="latitude (EPSG:4326)", doc_zh="纬度"),
    ), time_field="t", doc="GPS points of patrols, as the inspectors' app sends them", doc_zh="巡查定位点"),
    # A case needs its point (contract); a citizen's report with only an address is
    # kept here, readable by its id, until a dispatcher places it and it becomes a case
    # of the same id (intake/awaiting.py).
    Layer("awaiting_location", "case_id", None, (
        Field("case_id", _T, True, doc="service request id, the case's id once placed", doc_zh="案件编号"),
        Field("category", _T, doc="major class", doc_zh="大类"),
        Field("subcategory", _T, doc="minor class", doc_zh="小类"),
        Field("source", _T, codes=SOURCES, doc="channel", doc_zh="来源"),
        Field("reported_at", _D, True, doc="reported", doc_zh="上报时间"),
        Field("address", _T, doc="where, in the reporter's words", doc_zh="地址描述"),
        Field("description", _T, doc="what, in the reporter's words", doc_zh="描述"),
        Field("received_at", _D, doc="received by the intake", doc_zh="接收时间"),
    ), time_field="reported_at", doc="reports received without coordinates, awaiting a dispatcher's location",
        doc_zh="待定位上报"),
]

# ---- who may see what (access/): people's accounts, their sessions and the audit trail ----
# Issue 16 / GB/T 22239-2019 level 3: identification, authentication, access control
# and a security audit that cannot be altered. Storage only; the rules are in access/.
PEOPLE_ROLES = ("sysadmin", "security_admin", "auditor", "leader", "duty_officer", "grid_staff",
                "planner", "analyst")
ACCOUNT_ROLES = PEOPLE_ROLES + ("kiosk",)
SESSION_STAGES = ("password", "change_password", "totp_enrol", "totp", "signed_in")

_layers += [
    Layer("users", "name", None, (
        Field("name", _T, True, doc="sign-in name", doc_zh="账号"),
        Field("role", _T, True, codes=ACCOUNT_ROLES, doc="role (access/roles.py)", doc_zh="角色"),
        Field("grants", _T, doc="comma-separated: town, district, grid or professional-grid ids",
              doc_zh="授权范围"),
        Field("password_hash", _T, doc="argon2id hash (PHC string); the password is never stored",
              doc_zh="口令散列"),
        Field("password_set_at", _D, doc="when the password was last set", doc_zh="口令设置时间"),
        Field("must_change", _B, doc="the password must be changed at the next sign-in", doc_zh="须修改口令"),
        Field("totp_secret", _T, doc="TOTP secret of the second factor, sealed (access/sealed.py: fernet:…), empty = not enrolled",
              doc_zh="动态口令密钥"),
        Field("totp_enrolled_at", _D, doc="second factor enrolled", doc_zh="动态口令绑定时间"),
        Field("totp_last_step", _I, doc="last TOTP time step accepted (a code is used once)",
              doc_zh="动态口令末次时间步"),
        Field("failed_count", _I, min=0, doc="failed sign-ins in a row", doc_zh="连续失败次数"),
        Field("locked_until", _D, doc="locked out until", doc_zh="锁定至"),
        Field("created_at", _D, doc="created", doc_zh="创建时间"),
        Field("created_by", _T, doc="who created it", doc_zh="创建人"),
        Field("disabled_at", _D, doc="disabled; empty = active", doc_zh="停用时间"),
        Field("last_sign_in", _D, doc="last successful sign-in", doc_zh="最近登录"),
    ), doc="people's accounts, passwords stored as argon2id hashes", doc_zh="用户账号"),
    Layer("password_history", "id", None, (
        Field("id", _T, True, doc="name:set_at", doc_zh="编号"),
        Field("name", _T, True, doc="account", doc_zh="账号"),
        Field("password_hash", _T, True, doc="argon2id hash of a former password", doc_zh="口令散列"),
        Field("set_at", _D, True, doc="when it was set", doc_zh="设置时间"),
    ), time_field="set_at", doc="former password hashes (no reuse of the last 5)", doc_zh="历史口令"),
    Layer("sessions", "session_id", None, (
        Field("session_id", _T, True, doc="sha256 of the session token; the token lives only in the cookie",
              doc_zh="会话编号(散列)"),
        Field("name", _T, True, doc="account", doc_zh="账号"),
        Field("stage", _T, True, codes=SESSION_STAGES, doc="how far the sign-in got", doc_zh="登录阶段"),
        Field("created_at", _D, True, doc="signed in", doc_zh="创建时间"),
        Field("last_seen", _D, doc="last activity (written at most once a minute)", doc_zh="最近活动"),
        Field("ended_at", _D, doc="signed out, timed out or revoked; empty = open", doc_zh="结束时间"),
        Field("end_reason", _T, doc="sign_out, timeout, revoked, disabled, password_changed", doc_zh="结束原因"),
        Field("source", _T, doc="client address at sign-in", doc_zh="来源地址"),
    ), time_field="created_at", doc="server-side sessions, revocable", doc_zh="会话"),
    Layer("audit_log", None, None, (
        Field("seq", _I, True, min=1, doc="1, 2, … in the order written", doc_zh="序号"),
        Field("at", _D, True, doc="when", doc_zh="时间"),
        Field("username", _T, doc="account, os:NAME for the command line, empty when unknown "
              "(not 'user': a reserved word in PostgreSQL)", doc_zh="用户"),
        Field("source", _T, doc="client address", doc_zh="来源地址"),
        Field("action", _T, True, doc="sign_in, sign_in_failed, lockout, refused, user_create, …",
              doc_zh="操作"),
        Field("object", _T, doc="what it was done to", doc_zh="对象"),
        Field("outcome", _T, True, doc="ok, refused, failed", doc_zh="结果"),
        Field("detail", _T, doc="more, as text", doc_zh="详情"),
        Field("prev_hash", _T, True, doc="hash of the record before (64 zeros for the first)",
              doc_zh="前一记录散列"),
        Field("hash", _T, True, doc="sha256 of this record's canonical form and prev_hash", doc_zh="记录散列"),
    ), time_field="at", doc="the audit trail: append-only, hash-chained (access/audit.py)", doc_zh="审计日志"),
    Layer("devices", "name", None, (
        Field("name", _T, True, doc="the wall's name, as `townbrain kiosk enroll --name` gave it", doc_zh="终端名称"),
        Field("role", _T, True, codes=("kiosk",), doc="kiosk: the wall and its callbacks only", doc_zh="角色"),
        Field("grants", _T, doc="comma-separated: town, district, grid or professional-grid ids",
              doc_zh="授权范围"),
        Field("code_hash", _T, doc="sha256 of the one-time enrolment code; the code is never stored",
              doc_zh="注册码散列"),
        Field("code_expires_at", _D, doc="the code is refused after this (10 minutes)", doc_zh="注册码失效时间"),
        Field("code_used_at", _D, doc="the code was traded; it is refused ever after", doc_zh="注册码使用时间"),
        Field("token_hash", _T, doc="sha256 of the device token; the token lives only in the wall's cookie",
              doc_zh="终端令牌散列"),
        Field("created_at", _D, doc="code issued", doc_zh="创建时间"),
        Field("created_by", _T, doc="who issued the code", doc_zh="创建人"),
        Field("enrolled_at", _D, doc="the wall traded its code", doc_zh="注册时间"),
        Field("last_seen", _D, doc="last request (written at most once a minute)", doc_zh="最近活动"),
        Field("source", _T, doc="client address at enrolment", doc_zh="来源地址"),
        Field("revoked_at", _D, doc="revoked; empty = valid", doc_zh="吊销时间"),
    ), doc="enrolled wall devices, tokens stored hashed (access/devices.py)", doc_zh="大屏终端"),
]

# ---- the wall modules' own layers (layers/modules.py) --------------------------------------
# brief.md, "The reference town": leadership → key projects "on one map" and tasks
# issued as instructions; public management → video coverage ("Sharp Eyes", 雪亮工程);
# administration → approvals (395 service items, 313 without a visit, 91 "at most one
# trip"); online → public-opinion monitoring (舆情); livelihood → medical insurance
# and schools (the 5,537-applications early warning); transport → village buses
# (村村通) and smart parking (智慧停车).
PROJECT_KINDS = ("industry", "infrastructure", "livelihood", "ecology", "urban_renewal", "agriculture")
PROJECT_STATUSES = ("planned", "in_progress", "completed", "suspended")
TASK_KINDS = ("key_project", "work_safety", "environment", "livelihood", "case_supervision")
TASK_STATUSES = ("issued", "in_progress", "completed")
CAMERA_KINDS = ("public_security", "traffic", "river", "community", "fire_safety")
CAMERA_STATUSES = ("online", "offline")
APPROVAL_CHANNELS = ("window", "online", "self_service")
APPROVAL_STATUSES = ("accepted", "completed", "returned")
APPLICANT_KINDS = ("enterprise", "personal")
PLATFORMS = ("weibo", "wechat", "douyin", "forum", "news", "gov_portal")
SENTIMENTS = ("positive", "neutral", "negative")
OPINION_STATUSES = ("new", "handling", "handled", "archived")
PARKING_KINDS = ("public", "on_street", "commercial", "hospital", "transit")
BUS_KINDS = ("town", "village")
SCHOOL_LEVELS = ("kindergarten", "primary", "junior_middle")
OWNERSHIPS = ("public", "private")

_layers += [
    Layer("key_projects", "project_id", "Point", (
        Field("project_id", _T, True, doc="project code", doc_zh="项目编码"),
        Field("name", _T, doc="project name", doc_zh="项目名称"),
        Field("kind", _T, codes=PROJECT_KINDS, doc="industry, infrastructure, livelihood…", doc_zh="项目类别"),
        Field("investment_wan", _F, min=0, doc="planned total investment, 10,000 yuan (万元)",
              doc_zh="计划总投资(万元)"),
        Field("planned_progress", _F, min=0, max=100, doc="progress the schedule asks for by updated_at, %",
              doc_zh="计划进度(%)"),
        Field("actual_progress", _F, min=0, max=100, doc="progress reached by updated_at, %",
              doc_zh="实际进度(%)"),
        Field("started_at", _D, future=True, doc="construction start (planned, for a planned project)",
              doc_zh="开工时间"),
        Field("planned_end", _D, future=True, doc="planned completion", doc_zh="计划竣工时间"),
        Field("status", _T, codes=PROJECT_STATUSES, doc="planned, in progress, completed, suspended",
              doc_zh="状态"),
        Field("lead_unit", _T, open_codes=True, doc="office in charge (牵头单位), a code", doc_zh="牵头单位"),
        Field("updated_at", _D, doc="when the progress figures were reported", doc_zh="进度更新时间"),
    ), time_field="started_at", doc="key projects (重点项目), at their site", doc_zh="重点项目"),
    Layer("tasks", "task_id", None, (
        Field("task_id", _T, True, doc="task code", doc_zh="任务编码"),
        Field("title", _T, doc="what is to be done", doc_zh="任务内容"),
        Field("kind", _T, codes=TASK_KINDS, doc="theme of the instruction", doc_zh="任务类别"),
        Field("lead_unit", _T, open_codes=True, doc="office it is assigned to, a code", doc_zh="承办单位"),
        Field("project_id", _T, doc="key project it concerns, if any", doc_zh="关联项目"),
        Field("issued_at", _D, True, doc="issued by the town leadership", doc_zh="交办时间"),
        Field("deadline", _D, future=True, doc="time limit", doc_zh="办结时限"),
        Field("completed_at", _D, doc="completed; empty = open", doc_zh="办结时间"),
        Field("status", _T, codes=TASK_STATUSES, doc="issued, in progress, completed", doc_zh="状态"),
    ), time_field="issued_at", doc="tasks issued as instructions (督办任务)", doc_zh="督办任务"),
    Layer("cameras", "camera_id", "Point", (
        Field("camera_id", _T, True, doc="camera code", doc_zh="点位编码"),
        Field("kind", _T, codes=CAMERA_KINDS, doc="public security, traffic, river, community, fire safety",
              doc_zh="点位类别"),
        Field("status", _T, codes=CAMERA_STATUSES, doc="online or offline at updated_at", doc_zh="在线状态"),
        Field("installed_at", _D, doc="installed", doc_zh="安装时间"),
        Field("updated_at", _D, doc="last status report", doc_zh="状态更新时间"),
    ), time_field="installed_at", doc="video cameras (雪亮工程)", doc_zh="视频监控点位"),
    Layer("approvals", "approval_id", None, (
        Field("approval_id", _T, True, doc="application number", doc_zh="办件编号"),
        Field("item_code", _T, doc="service item code", doc_zh="事项编码"),
        Field("item", _T, doc="service item (政务服务事项)", doc_zh="事项名称"),
        Field("applicant_kind", _T, codes=APPLICANT_KINDS, doc="enterprise or personal — no names",
              doc_zh="申请人类型"),
        Field("channel", _T, codes=APPROVAL_CHANNELS, doc="service window, online, self-service kiosk",
              doc_zh="办理渠道"),
        Field("visits", _I, min=0, max=10, doc="trips the applicant made (0 = without a visit)",
              doc_zh="跑动次数"),
        Field("submitted_at", _D, True, doc="application accepted", doc_zh="受理时间"),
        Field("deadline", _D, future=True, doc="promised time limit", doc_zh="承诺时限"),
        Field("completed_at", _D, doc="completed (办结); empty = in progress", doc_zh="办结时间"),
        Field("status", _T, codes=APPROVAL_STATUSES, doc="accepted, completed, returned", doc_zh="状态"),
        Field("satisfaction", _I, min=1, max=5, doc="applicant's rating 1–5 (好差评), empty = none",
              doc_zh="满意度"),
    ), time_field="submitted_at", doc="applications at the service centre (审批服务)", doc_zh="审批办件"),
    Layer("opinion_items", "item_id", "Point", (
        Field("item_id", _T, True, doc="item code", doc_zh="舆情编号"),
        Field("platform", _T, codes=PLATFORMS, doc="where it was published", doc_zh="发布平台"),
        Field("title", _T, doc="headline of the post (public text, no author)", doc_zh="标题"),
        Field("topic", _T, open_codes=True, doc="case category code it concerns", doc_zh="涉及领域"),
        Field("sentiment", _T, codes=SENTIMENTS, doc="positive, neutral, negative", doc_zh="情感倾向"),
        Field("heat", _I, min=0, doc="reads, shares and comments", doc_zh="热度"),
        Field("published_at", _D, True, doc="published", doc_zh="发布时间"),
        Field("handled_at", _D, doc="responded to (处置); empty = not yet", doc_zh="处置时间"),
        Field("status", _T, codes=OPINION_STATUSES, doc="new, handling, handled, archived", doc_zh="状态"),
    ), time_field="published_at", doc="public-opinion items (网络舆情), at the place they concern",
        doc_zh="网络舆情"),
    Layer("parking", "lot_id", "Point", (
        Field("lot_id", _T, True, doc="car park code", doc_zh="停车场编码"),
        Field("name", _T, doc="car park name", doc_zh="停车场名称"),
        Field("kind", _T, codes=PARKING_KINDS, doc="public, on-street, commercial, hospital, transit",
              doc_zh="类型"),
        Field("spaces", _I, min=0, doc="parking spaces", doc_zh="泊位数"),
        Field("occupied", _I, min=0, doc="spaces taken at updated_at", doc_zh="已占用"),
        Field("updated_at", _D, doc="last sensor report (智慧停车)", doc_zh="更新时间"),
    ), doc="car parks with live occupancy (智慧停车)", doc_zh="停车场"),
    Layer("bus_routes", "route_id", "LineString", (
        Field("route_id", _T, True, doc="route code", doc_zh="线路编码"),
        Field("name", _T, doc="route name", doc_zh="线路名称"),
        Field("kind", _T, codes=BUS_KINDS, doc="town bus or village bus (村村通)", doc_zh="线路类型"),
        Field("stops", _I, min=0, doc="stops along the route", doc_zh="站点数"),
        Field("daily_trips", _I, min=0, doc="departures a day", doc_zh="日班次"),
    ), doc="bus routes along the roads", doc_zh="公交线路"),
    Layer("schools", "school_id", "Point", (
        Field("school_id", _T, True, doc="school code", doc_zh="学校编码"),
        Field("name", _T, doc="school name", doc_zh="学校名称"),
        Field("level", _T, codes=SCHOOL_LEVELS, doc="kindergarten, primary, junior middle", doc_zh="学段"),
        Field("ownership", _T, codes=OWNERSHIPS, doc="public or private", doc_zh="办学性质"),
        Field("places", _I, min=0, doc="approved places (学位)", doc_zh="核定学位"),
        Field("enrolled", _I, min=0, doc="pupils enrolled", doc_zh="在校生"),
        Field("applications", _I, min=0, doc="applications for the coming intake", doc_zh="招生报名"),
        Field("intake_places", _I, min=0, doc="places of the coming intake", doc_zh="招生计划"),
    ), doc="schools and kindergartens with their places", doc_zh="学校"),
    Layer("medical_insurance", "record_id", None, (
        Field("record_id", _T, True, doc="grid_id:year", doc_zh="记录编号"),
        Field("grid_id", _T, True, doc="comprehensive grid", doc_zh="综合网格"),
        Field("year", _I, True, min=1990, max=2100, doc="insurance year", doc_zh="参保年度"),
        Field("eligible", _I, min=0, doc="residents who should be insured (应参保)", doc_zh="应参保人数"),
        Field("insured_employee", _I, min=0, doc="insured in the employees' scheme (职工医保)",
              doc_zh="职工医保参保"),
        Field("insured_resident", _I, min=0, doc="insured in the residents' scheme (城乡居民医保)",
              doc_zh="居民医保参保"),
    ), doc="medical insurance per grid and year — counts only, no person", doc_zh="医保参保"),
]

LAYERS: dict[str, Layer] = {layer.name: layer for layer in _layers}
FIELDS_BY_LAYER: dict[str, dict[str, Field]] = {
    layer.name: {f.name: f for f in layer.fields} for layer in _layers
}
#: Layers that carry point geometry and are assigned to grids.
POINT_LAYERS = tuple(n for n, lay in LAYERS.items() if lay.geometry == "Point")
#: Columns that ``townbrain assign`` adds to point layers.
ASSIGN_FIELDS = (
    Field("district_id", _T, doc="district", doc_zh="片区"),
    Field("grid_id", _T, doc="comprehensive grid", doc_zh="综合网格"),
    Field("pro_grid_id", _T, doc="professional grid", doc_zh="专业网格"),
    Field("h3", _T, doc="H3 cell, resolution 9", doc_zh="H3 网格"),
)


def layer(name: str) -> Layer:
    """Return the declaration of ``name``, or raise a clear ``KeyError``."""
    try:
        return LAYERS[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known layers: {', '.join(LAYERS)}") from None


def dictionary_rows() -> list[dict]:
    """One row per field, for printing and export."""
    rows = []
    for lay in _layers:
        for f in lay.fields:
            rng = ""
            if f.min is not None or f.max is not None:
                rng = f"[{'' if f.min is None else f.min:g}, {'' if f.max is None else f.max:g}]" \
                    if f.min is not None and f.max is not None else \
                    (f"≥ {f.min:g}" if f.min is not None else f"≤ {f.max:g}")
            codes = ", ".join(f.codes) if f.codes else ("open tree" if f.open_codes else "")
            rows.append({
                "layer": lay.name,
                "geometry": lay.geometry or "",
                "field": f.name,
                "type": f.kind,
                "required": "yes" if (f.required or f.name == lay.id_field) else "",
                "codes": codes,
                "range": rng,
                "meaning": f.doc,
                "含义": f.doc_zh,
            })
    return rows
