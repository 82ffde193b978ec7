"""Request detection, TAXONOMY precedence, urgency and robustness to real-world noise."""

import pytest

from nlp import CATEGORIES, load_classifier


@pytest.fixture(scope="module")
def clf():
    return load_classifier()


@pytest.mark.parametrize(
    "text",
    [
        "收到",
        "好的好的",
        "👍👍👍",
        "[强][强]",
        "谢谢网格员 路灯昨天晚上就亮了",
        "早上好☀️",
        "恭喜老李家孙子考上大学🎉",
        "转自物业：明天上午九点消防演练 听到警报别慌",
        "明天早上七点停电检修 到下午五点 大家提前做好准备",
        "温馨提示：天气干燥 注意用火安全",
        "出售自家种的新小米 十块钱二斤 需要的联系",
        "谁家有梯子借俺用用 换个灯泡",
        "谁知道哪里修电动车便宜点",
        "车棚的充电桩今天已经好了 大家可以用了",
        "没事了 刚才那股味是楼下炖肉糊锅了 虚惊一场",
        "电梯困的那个大爷已经救出来了 人没事 大家放心",
        "不用了 我们自己找人修好了",
        "充电桩恢复了 刚充上",
        "物业已经来修了 在弄了",
        "昨天那个着火的视频是别的地方的 不是咱小区 别传了",
    ],
)
def test_not_a_request(clf, text: str) -> None:
    result = clf.classify(text)
    assert result.category == "none", (text, result)
    assert not result.is_request and not result.urgent


@pytest.mark.parametrize(
    ("text", "category", "urgent"),
    [
        # present danger beats the thing itself
        ("楼道里推了四五辆电动车 还插着线在那充", "safety", False),
        ("有人从五楼窗户扯了根电线下来给电动车充电", "safety", False),
        ("车棚的充电桩坏了 插上没反应", "charging", False),
        ("电梯卡在七楼和八楼中间了 里面有个老人", "safety", True),
        ("电梯又坏了 这个月第三回了", "property", False),
        ("2单元501的李奶奶在家摔倒了起不来", "safety", True),
        ("谁看见一个五岁的小男孩 在广场走丢了", "safety", True),
        ("3号楼2单元楼道里一股煤气味 很冲", "safety", True),
        # conflict between people needing mediation
        ("楼上天天半夜剁饺子馅 跟她说了好几回 还骂人 能不能来给调解一下", "dispute", False),
        # water into homes stays with the utility / sewage with environment
        ("4号楼自来水总管爆了 水往一楼家里灌", "utilities", True),
        ("下水返上来了 1号楼一楼好几户屋里全是污水", "environment", True),
        ("水压太低了 六楼以上洗澡都费劲", "utilities", False),
        ("7号楼2单元有煤气味 很冲 快来人看看", "safety", True),
        ("12号楼楼顶漏水 家里墙都湿了", "property", False),
        ("电梯坏在半道了 里面关着一个小孩 哭得厉害", "safety", True),
        ("被公司辞退了没给补偿 这种能去劳动仲裁吗", "legal", False),
        ("俺家跟邻居为了一堵墙吵到现在 谁也不让谁", "dispute", False),
    ],
)
def test_precedence_and_urgency(clf, text: str, category: str, urgent: bool) -> None:
    result = clf.classify(text)
    assert (result.category, result.urgent) == (category, urgent), (text, result)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("电瓶车没地儿充咋整", "charging"),
        ("凤鸣苑南门那排冲电桩谁给上了锁 用不了了", "charging"),
        ("今天的拉圾车怎么没来 都中午了", "waste"),
        ("我的车位又被人占了 找物叶说他们不管", "parking"),
        ("暖器片上面热下面凉 是不是得放气 找谁弄", "utilities"),
        ("俺家隔壁天天半夜剁饺子馅 吵得睡不着", "environment"),
        ("@网格员小王 @物业客服 装修剩的砖头堆楼下半个月了", "waste"),
        ("请问一下5号楼车棚的电是不是给掐了我昨天晚上插上电瓶第二天早上一看一格都没进去", "charging"),
        ("俺村啥时候通公交啊 去镇上看病得走五里地 中不中给开一趟", "transport"),
        ("请问16路现在还经过东沙河村吗", "transport"),
    ],
)
def test_typos_dialect_noise(clf, text: str, category: str) -> None:
    assert clf.classify(text).category == category, text


def test_forwarded_fire_drill_is_not_urgent(clf) -> None:
    result = clf.classify("【转发】明天上午小区消防演练 届时会有烟雾 请勿惊慌")
    assert result.category == "none" and not result.urgent


def test_confidence_is_calibrated(clf) -> None:
    clear = clf.classify("3号楼车棚的充电桩又坏了 插上没反应 都两天了")
    vague = clf.classify("那个事到底咋样了")
    assert clear.confidence >= 0.7
    assert vague.confidence < 0.5 or vague.category == "none"
    for text in ("好的", "楼道里有股怪味", "能不能管管"):
        assert 0.0 <= clf.classify(text).confidence <= 1.0


def test_every_category_reachable_and_keywords_reported(clf) -> None:
    result = clf.classify("村东头那条路上有个大坑 晚上骑车差点摔了 能不能给补补")
    assert result.category == "roads"
    assert result.keywords and all(isinstance(k, str) for k in result.keywords)
    assert set(CATEGORIES) >= {result.category}
    data = result.as_dict("x")
    assert set(data) == {"text", "category", "urgent", "keywords", "location", "confidence"}
