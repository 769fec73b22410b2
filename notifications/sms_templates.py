"""SMS texts are registered templates (mainland providers send only pre-approved ones).

Each template's variables are counts, dates and codes: never a student's name or a crisis detail.
The provider's template code for each id comes from settings (XINYU_SMS_TEMPLATE_CODES).
"""

from string import Template

SMS_TEMPLATES: dict[str, str] = {
    # To the people behind one late task, when the school's leader presses 催办 on the month board.
    "leader_nudge": "组长催办：您有1项心育工作已逾期${days}个工作日（截止${due}），请尽快处理。详情：${link}",
    # To a person with work to do or to chase: one SMS per person per run, however many tasks.
    "chase_digest": ("您有${count}项心育工作需处理，其中${overdue}项已逾期，最早截止${earliest}。"
                     "详情请查收邮件或登录：${link}"),
    # To the school leader and up the relay: a crisis case was opened (GZ-5.2, GZ-A2.2.7).
    "crisis_alert": "${school}新登记心理危机个案${case}（快速通道），请立即处置并于今日记录家长通报情况。详情：${link}",
    # The same, in a pack with a 24-hour hotline (JN-5): the public number, never a case detail.
    "crisis_alert_hotline": ("${school}新登记心理危机个案${case}（快速通道），请立即处置并于今日记录家长通报情况。"
                             "24小时心理关爱热线${hotline}。详情：${link}"),
    # To the school leader: the district issued a notice (督办) with a rectification deadline (QD-S2).
    "district_notice": "${school}收到区县督办通知，请于${due}前完成整改并在系统中填报。详情：${link}",
    # To district officers: new items in the inbox.
    "district_inbox": "区县督办箱新增${count}项督办事项（共${open}项待处理）。详情：${link}",
    # A one-time login code (staff with a phone and no email): the code and its lifetime, nothing else.
    "login_code": "您的心育闭环登录验证码为${code}，${minutes}分钟内有效。请勿告诉他人；如非本人操作请忽略。",
}


def render_sms(template: str, params: dict[str, str]) -> str:
    """The text a file sink or a plain HTTP gateway sends; providers render it themselves from params."""
    return Template(SMS_TEMPLATES[template]).substitute(params)
