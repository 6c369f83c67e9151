"""The sign-in pages' words, Chinese (the default) and English (``?lang=en``)."""
from __future__ import annotations

TEXT = {
    "zh": {
        "title": "登录", "product": "智慧城镇大脑", "name": "账号", "password": "口令", "sign_in": "登录",
        "lang_switch": "English", "lang_other": "en",
        "bad": "账号或口令不正确。", "locked": "失败次数过多,账号已锁定 30 分钟。",
        "disabled": "账号已停用,请联系安全管理员。", "rate": "尝试过于频繁,请稍后再试。",
        "change_title": "修改口令", "change_why": "首次登录或口令已超过 90 天,请设置新口令。",
        "current": "当前口令", "new": "新口令", "again": "再次输入新口令", "save": "保存",
        "mismatch": "两次输入的新口令不一致。",
        "policy": "至少 8 位,包含大写字母、小写字母、数字、其他字符中的至少三类,且不得与最近 5 次口令相同。",
        "needs": "新口令需要:",
        # what access/passwords.py and Accounts.change_password name, in the page's language
        "problem": {"at least 8 characters": "至少 8 位",
                    "at least three of: lower case, upper case, digits, other characters":
                        "包含小写字母、大写字母、数字、其他字符中的至少三类",
                    "not one of the last 5 passwords": "不与最近 5 次口令相同",
                    "the current password": "正确的当前口令"},
        "totp_title": "动态口令", "totp_why": "请输入身份验证器应用中显示的 6 位动态口令。", "code": "动态口令",
        "verify": "验证", "bad_code": "动态口令不正确或已使用。",
        "enrol_title": "绑定动态口令", "enrol_why": "此角色需要第二重身份验证。请用身份验证器应用扫描二维码"
                                               "(或手动输入密钥),然后输入它显示的 6 位动态口令。",
        "secret": "密钥", "account": "我的账号", "role": "角色", "grants": "授权范围", "sign_out": "退出登录",
        "pages": "可用页面", "change": "修改口令", "refused_title": "无权访问",
        "refused_401": "请先登录。", "refused_403": "当前账号无权访问此页面。", "back": "返回",
        "signed_out": "已退出登录。", "timeout": "长时间未操作,已自动退出,请重新登录。",
        "audit_title": "审计日志", "audit_whole": "哈希链完整", "audit_broken": "哈希链断裂",
        "filter": "筛选", "since": "起始时间", "user": "用户", "records": "条记录",
        "nothing": "(无)",
        "roles": {"sysadmin": "系统管理员", "security_admin": "安全管理员", "auditor": "审计员", "leader": "领导",
                  "duty_officer": "值班员", "grid_staff": "网格员", "planner": "规划人员", "analyst": "分析人员",
                  "kiosk": "大屏终端"},
        "page_names": {"/wall": "大屏", "/console": "值班台", "/audit": "审计日志"},
        "enroll_title": "大屏终端注册",
        "enroll_why": "本页把这台浏览器注册为指挥中心大屏:输入安全管理员用 townbrain kiosk enroll 生成的一次性注册码"
                      "(10 分钟内有效)。注册后大屏无需登录,服务器重启后也会自动恢复。",
        "enroll_code": "注册码", "enroll_submit": "注册此大屏",
        "enroll_unknown": "注册码不正确。", "enroll_expired": "注册码已过期,请重新生成。",
        "enroll_used": "注册码已使用过,请重新生成。", "enroll_revoked": "注册码不正确。",
        "enroll_refused": "此大屏已被吊销,请输入新的注册码。",
    },
    "en": {
        "title": "Sign in", "product": "TownBrain", "name": "Account", "password": "Password", "sign_in": "Sign in",
        "lang_switch": "中文", "lang_other": "zh",
        "bad": "Account or password is wrong.", "locked": "Too many failures: the account is locked for 30 minutes.",
        "disabled": "The account is disabled; ask the security administrator.",
        "rate": "Too many attempts; try again in a minute.",
        "change_title": "Change password", "change_why": "First sign-in, or the password is older than 90 days: "
                                                         "choose a new one.",
        "current": "Current password", "new": "New password", "again": "New password again", "save": "Save",
        "mismatch": "The two new passwords differ.",
        "policy": "At least 8 characters from at least three of: upper case, lower case, digits, other characters; "
                  "none of your last 5 passwords.",
        "needs": "The new password needs:",
        "totp_title": "One-time code", "totp_why": "Enter the 6-digit code your authenticator app shows.",
        "code": "Code", "verify": "Verify", "bad_code": "The code is wrong or was used already.",
        "enrol_title": "Set up the second factor", "enrol_why": "This role needs a second factor. Scan the QR code "
                                                                "with an authenticator app (or type the key), then "
                                                                "enter the 6-digit code it shows.",
        "secret": "Key", "account": "My account", "role": "Role", "grants": "Grants", "sign_out": "Sign out",
        "pages": "Pages", "change": "Change password", "refused_title": "Not allowed",
        "refused_401": "Sign in first.", "refused_403": "This account may not open this page.", "back": "Back",
        "signed_out": "Signed out.", "timeout": "Signed out after a while without activity; sign in again.",
        "audit_title": "Audit trail", "audit_whole": "hash chain whole", "audit_broken": "hash chain broken",
        "filter": "Filter", "since": "Since", "user": "User", "records": "records",
        "nothing": "(none)",
        "roles": {"sysadmin": "System administrator", "security_admin": "Security administrator",
                  "auditor": "Auditor", "leader": "Leader", "duty_officer": "Duty officer",
                  "grid_staff": "Grid staff", "planner": "Planner", "analyst": "Analyst", "kiosk": "Wall device"},
        "page_names": {"/wall": "Wall", "/console": "Console", "/audit": "Audit trail"},
        "enroll_title": "Enrol this wall",
        "enroll_why": "This page makes this browser the command centre's wall: type the one-time code a security "
                      "administrator issued with townbrain kiosk enroll (valid 10 minutes). The wall then needs no "
                      "sign-in, and comes back by itself after a server restart.",
        "enroll_code": "Enrolment code", "enroll_submit": "Enrol this wall",
        "enroll_unknown": "The code is wrong.", "enroll_expired": "The code has expired: issue a new one.",
        "enroll_used": "The code was used already: issue a new one.", "enroll_revoked": "The code is wrong.",
        "enroll_refused": "This wall was revoked: type a new code.",
    },
}


def lang_of(args) -> str:
    return "en" if args.get("lang") == "en" else "zh"
