"""Every word on an interactive card and in the answers to a press, and of recall: a sibling of ``handlers.texts``."""

from __future__ import annotations

from datetime import datetime

from handlers.settings import TZ
from handlers.texts import CATEGORY_NAMES, when

SOURCE = "网格通"
# Common results offered on the 办结 card; anything else is typed (the card says how).
RESULTS = ("已处理完毕", "已维修恢复", "已清理完毕", "已协调解决", "已答复居民", "已转相关部门处理")

VERBS = {"accepted": "接单", "transferred": "转派", "sent_back": "退单", "resolved": "办结", "merged": "合并",
         "withdrawn": "撤回", "closed": "关闭", "rated": "评价", "reopened": "评价", "escalated": "上报"}

BUTTON_ACCEPT, BUTTON_TRANSFER, BUTTON_SEND_BACK, BUTTON_RESOLVE = "接单", "转派", "退单", "办结"
FIELD_CATEGORY, FIELD_PLACE, FIELD_DUE, FIELD_URGENT = "类别", "位置", "时限", "紧急"


def hm(dt: datetime) -> str:
    return f"{dt.astimezone(TZ):%H:%M}"


def done(name: str, verb: str, at: datetime) -> str:
    """What a card says once acted on, in place of its buttons: 已由 张伟 接单 10:42."""
    return f"已由 {name} {verb} {hm(at)}"


def category(code: str) -> str:
    return CATEGORY_NAMES.get(code, code)


def due_line(due: datetime) -> str:
    return f"{when(due)} 前"


def new_ticket_title(number: int, urgent: bool) -> str:
    return f"{'【紧急】' if urgent else ''}新工单 #{number}"


def warning_title(number: int) -> str:
    return f"工单 #{number} 即将超时"


def overdue_title(number: int) -> str:
    return f"工单 #{number} 已超期"


def supervised_title(number: int) -> str:
    return f"【督办】工单 #{number}"


def sent_back_title(number: int) -> str:
    return f"工单 #{number} 待重新派单"


def resolve_title(number: int) -> str:
    return f"办结工单 #{number}"


RESOLVE_QUESTION = "处理结果"
RESOLVE_HINT = "选择处理结果后点「办结」；其他结果请直接回复文字（如：已更换灯泡）。"
RESOLVE_SUBMIT = "办结"


def moved_on(number: int, note: str) -> str:
    return f"工单 #{number} {note}，无需重复操作。"


def ask_transfer(number: int) -> str:
    return f"请回复转派对象（部门或姓名，可加原因），例如「城管执法中队」。也可发「转派 {number} 对象」。"


def ask_send_back(number: int) -> str:
    return f"请回复退单原因，例如「不属于本网格」。也可发「退单 {number} 原因」。"


def ask_resolve(number: int) -> str:
    return f"请选择处理结果，或直接回复处理结果。也可发「办结 {number} 处理结果」。"


RESOLVE_CARD_SENT = "已发送办结卡片：选择处理结果，或直接回复处理结果。"
CARD_UNKNOWN = "这张卡片已失效，请用文字命令操作（发「帮助」查看）。"
CARD_NOT_YOURS = "这张卡片不是发给您的，无法操作。"


def card_done_already(outcome: str) -> str:
    return f"这张卡片{outcome}，无需重复操作。"


# --- the AI bot's cards ---------------------------------------------------------------------------------------

CLARIFY_TITLE = "请问您反映的是哪一类问题？"
CLARIFY_NONE = "都不是"
RATING_TITLE = "请评价工单 #{number} 的办理结果"
RATINGS = (("满意", "满意"), ("基本满意", "基本满意"), ("不满意", "不满意"))


def rated(word: str) -> str:
    return f"已评价：{word}"


def chose(choice: str) -> str:
    return f"已选择：{choice}"


# --- recall -------------------------------------------------------------------------------------------------------

RECALL_USAGE = "用法：公告 撤回 编号（如「公告 撤回 3」；编号见群发通知的回复）。"


def recall_unknown(number: int) -> str:
    return f"没有编号为 {number} 的通知。"


def recall_report(number: int, lines: list[str]) -> str:
    return f"通知 {number} 的撤回情况：\n" + "\n".join(f"· {line}" for line in lines)


def recall_line(where: str, outcome: str) -> str:
    return f"{where}：{outcome}"


RECALL_QUEUED = "正在撤回"
RECALL_CANCELLED = "尚未发出，已取消发送"
RECALL_TOO_LATE = "已超过 24 小时，无法撤回"
RECALL_NO_ID = "未记录消息编号，无法撤回"
RECALL_ROBOT = "群机器人消息不支持撤回，请在群内手动撤回或发更正通知"
RECALL_APPCHAT = "应用群聊消息不支持撤回，请发更正通知"
RECALL_BRIDGE = "桥接群消息无法撤回，请在群内手动撤回或发更正通知"
RECALL_FAILED = "未送达，无需撤回"
RECALL_DONE_ALREADY = "已撤回"
