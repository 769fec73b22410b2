"""Words for xinyu.privacy: compound surnames, and given names that are also everyday words.

A given name in COMMON_WORDS is masked only where it plainly names a person (followed by 同学, 家长 …),
so a course called "阳光心态" or a decision to "快乐成长" stays readable in a school with a 李阳光 or a
王快乐. The list holds words of the texts this system carries (school work, mental health, holidays,
virtues) that are also given to children as names; a given name missing from it is masked everywhere,
which errs on the side of the student.
"""

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 南宫 独孤 西门 轩辕 钟离 "
    "闻人 澹台 公冶 宗政 濮阳 太叔 申屠 赫连 万俟 百里 呼延 东郭 拓跋 第五 左丘 司空 羊舌 微生 梁丘".split())

COMMON_WORDS = frozenset(
    # time and holidays
    "今天 明天 天天 每天 清晨 晨光 晨曦 黎明 春天 夏天 秋天 冬天 新年 元旦 春节 清明 端午 中秋 国庆 "
    "建国 建军 建党 "
    # mental health and growth
    "阳光 快乐 开心 健康 平安 安全 安心 静心 平静 安静 温暖 幸福 美好 希望 未来 梦想 理想 成长 进步 "
    "成功 成才 自信 自强 自立 乐观 坚强 勇敢 坚毅 感恩 友善 友爱 和谐 和平 文明 诚信 正义 善良 "
    "团结 互助 宽容 包容 尊重 信任 欣然 浩然 一帆 一鸣 一心 同心 齐心 思齐 思源 思考 心语 心声 "
    "心田 心灵 心悦 喜悦 乐乐 多多 可可 欣欣 笑笑 明亮 光明 阳阳 "
    # school
    "学习 学业 学生 博学 明理 明德 致远 远航 启航 起航 扬帆 奋进 向上 向阳 创新 卓越 优秀 美丽 "
    "秀丽 文静 雅静 书香 墨香 嘉宾 家和 "
    # nature
    "海燕 春花 秋月 红梅 雪梅 彩虹 星辰 星星 月亮 太阳 蓝天 白云 海洋 大海 森林 小雨 雨露 露露 "
    "振华 中华 华夏 国强 国华 建华 建新 新华 卫国 爱国 爱民 为民 红旗 胜利 光荣".split())
