"""Masking students in typed text (issue 11, item 7): however the name is typed, the given name alone, the
学号; never 某同学同学; everyday words that happen to be a given name stay readable."""

import pytest

from xinyu.privacy import PLACEHOLDER, StudentMasker

ROSTER = [("黄晨超", "2024070301"), ("徐瑞航", "2024070302"), ("欧阳子涵", "2024070303"), ("李阳光", "2024070304"),
          ("王伟", "2024070305"), ("张一帆", "17")]


@pytest.fixture(scope="module")
def mask() -> StudentMasker:
    return StudentMasker(ROSTER)


@pytest.mark.parametrize("typed", ["黄晨超", "黄 晨超", "黄　晨超", "黄\u200b晨超", "黄\t晨超", "黄\u200d晨\ufeff超",
                                   "黄  晨 超"])
def test_a_full_name_is_masked_however_it_is_spaced(mask: StudentMasker, typed: str) -> None:
    assert mask.mask(f"约谈{typed}家长") == "约谈某同学家长"


def test_the_given_name_alone_is_masked(mask: StudentMasker) -> None:
    assert mask.mask("晨超近来情绪低落，与瑞航发生冲突") == "某同学近来情绪低落，与某同学发生冲突"
    assert mask.mask("子涵请假") == "某同学请假"  # 欧阳 is the surname
    assert mask.mask("王伟请假，伟大的祖国") == "某同学请假，伟大的祖国"  # a one-character given name stays


def test_a_following_or_preceding_classmate_word_goes_into_the_mask(mask: StudentMasker) -> None:
    assert mask.mask("为徐瑞航同学安排心理辅导") == "为某同学安排心理辅导"
    assert mask.mask("为徐 瑞航同学们安排") == "为某同学安排"
    assert mask.mask("请同学黄晨超到心理室") == "请某同学到心理室"
    assert mask.mask("某同学徐瑞航") == "某同学"
    assert mask.mask("黄晨超徐瑞航") == "某同学"  # touching masks are one


def test_student_numbers_are_masked(mask: StudentMasker) -> None:
    assert mask.mask("学号2024070301的学生") == "某学号的学生"
    assert mask.mask("学号：2024070301") == "某学号"
    assert mask.mask("（2024070302）已转介") == "（某学号）已转介"
    assert mask.mask("（２０２４０７０３０２）") == "（某学号）"  # full-width digits
    assert mask.mask("编号 12 2024070303 号") == "编号 12 某学号 号"
    assert mask.mask("2024 0703 04") == "某学号"
    assert mask.mask("电话120240703019") == "电话120240703019"  # inside a longer number: another number
    assert mask.mask("学号：17") == "某学号" and mask.mask("全班17人") == "全班17人"  # a short one: only after 学号


def test_everyday_words_that_are_given_names_stay_unless_they_name_someone(mask: StudentMasker) -> None:
    assert mask.mask("开展阳光心态主题班会，一帆风顺") == "开展阳光心态主题班会，一帆风顺"
    assert mask.mask("阳光同学需要关注") == "某同学需要关注"
    assert mask.mask("通知阳光家长") == "通知某同学家长"
    assert mask.mask("李阳光需要关注") == "某同学需要关注"


def test_a_given_name_followed_by_a_staff_title_is_staff(mask: StudentMasker) -> None:
    assert mask.mask("请晨超老师跟进") == "请晨超老师跟进"


def test_no_text_ever_reads_a_doubled_word(mask: StudentMasker) -> None:
    texts = [f"{a}{name}{b}" for name in ("黄晨超", "晨超", "黄 晨超", "阳光", "瑞航")
             for a in ("", "为", "同学", "某同学") for b in ("", "同学", "同学们", "的", "同学同学")]
    for text in texts:
        masked = mask.mask(text)
        assert PLACEHOLDER + "同学" not in masked.replace("同学同学", "") or "同学同学" in text, (text, masked)
        assert PLACEHOLDER + PLACEHOLDER not in masked, (text, masked)


def test_text_without_students_is_unchanged() -> None:
    assert StudentMasker([]).mask("为徐瑞航同学") == "为徐瑞航同学"
    assert StudentMasker(ROSTER).mask("") == ""
