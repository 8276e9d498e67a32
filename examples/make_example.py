"""Write examples/generations.jsonl: 50 short restaurant reviews (task masa-d1, design lines).

Targets are canonical Lines outputs rendered by sdeparse. Predictions are mostly canonical;
about a quarter carry the slips fine-tuned models make (Natural layout, ASCII colons, label
synonyms, a truncated output, an 输出： prefix, an echoed template, aspect aliases, a word
that is no label, a blank line, a stray 。) and two are canonical but get a sentiment wrong.
Deterministic: run ``python examples/make_example.py`` to regenerate the committed file.
"""

from __future__ import annotations

import json
from pathlib import Path

import sdeparse

TASK = sdeparse.load_task("masa-d1")
DESIGN = "lines"
LABEL = {"+": "正面", "0": "中性", "-": "负面", ".": "未提及"}

# review, then labels in task order: 食品 饮品 价格 卫生 服务 停车 (+ positive, 0 neutral,
# - negative, . unmentioned)
REVIEWS = [
    ("菜很好吃，服务员也很热情，就是价格有点贵。", "+.-.+."),
    ("奶茶太甜了，环境还算干净。", ".-.+.."),
    ("停车很方便，菜品一般般。", "0....+"),
    ("服务态度差，等了半天没人理。", "....-."),
    ("性价比很高，分量足，味道不错。", "+.+..."),
    ("桌子油腻腻的，碗筷也不干净。", "...-.."),
    ("鲜榨果汁很新鲜，价格实惠。", ".++..."),
    ("门口没地方停车，只能停到很远。", ".....-"),
    ("味道中规中矩，价格也还行。", "0.0..."),
    ("烤鸭皮脆肉嫩，服务员还会帮忙片鸭。", "+...+."),
    ("咖啡味道很淡，像白开水。", ".-...."),
    ("环境卫生很好，洗手间也很干净。", "...+.."),
    ("菜咸得不行，服务员还爱答不理。", "-...-."),
    ("商场地下停车场可以免费停两小时，很方便。", ".....+"),
    ("啤酒冰爽，烧烤入味，就是有点贵。", "++-..."),
    ("一般般吧，没什么特别的。", "0....."),
    ("老板娘人很好，还送了一份甜品。", "....+."),
    ("价格偏高，菜量太少。", "-.-..."),
    ("柠檬茶好喝，停车也方便。", ".+...+"),
    ("厨房看着有点脏，苍蝇乱飞。", "...-.."),
    ("火锅底料很香，毛肚新鲜，服务周到。", "+...+."),
    ("团购很划算，环境干净整洁。", "..++.."),
    ("酸梅汤一般，菜还可以。", "00...."),
    ("服务员态度冷淡，停车位也难找。", "....--"),
    ("菜品种类多，味道都不错，价格适中。", "+.0..."),
    ("红酒不错，牛排煎得刚好，服务专业。", "++..+."),
    ("人均一百多，有点小贵，味道一般。", "0.-..."),
    ("餐具都消过毒，很放心。", "...+.."),
    ("排了很久的队，菜倒是很好吃。", "+....."),
    ("豆浆太稀了，油条还行。", "0-...."),
    ("停车免费，服务热情，菜也好吃。", "+...++"),
    ("价格便宜，但是卫生条件一般。", "..+0.."),
    ("鱼不新鲜，有股怪味。", "-....."),
    ("奶茶口感顺滑，店员很有礼貌。", ".+..+."),
    ("店里很吵，菜上得慢，味道普通。", "0....."),
    ("小龙虾个头大，价格合理，就是路边不好停车。", "+.+..-"),
    ("服务员把菜上错了也不道歉。", "....-."),
    ("果汁是兑的，还卖三十块一杯。", ".--..."),
    ("卫生一般，服务还行。", "...00."),
    ("甜品精致好吃，咖啡也很香。", "++...."),
    ("打折之后很便宜，菜量大。", "+.+..."),
    ("地面湿滑，桌上还有上一桌的残渣。", "...-.."),
    ("包间需要最低消费，有点坑。", "..-..."),
    ("酒水种类少，饮料一般。", ".0...."),
    ("停车位很多，服务员主动帮忙指引。", "....++"),
    ("菜难吃，价格还贵，不会再来了。", "-.-..."),
    ("面条劲道，汤头浓郁，店面干净。", "+..+.."),
    ("服务挺好的，就是菜有点淡。", "-...+."),
    ("茶水免费续杯，价格实惠。", ".++..."),
    ("整体还行，没有惊喜也没有失望。", "0....."),
]

INSTRUCTION = (
    "请判断以下餐厅评论在各方面的情感（正面、中性、负面、未提及），"
    "每行按“方面：情感类别”的格式给出所有方面。\n"
)


def _replace_label(text: str, aspect: str, label: str) -> str:
    lines = [
        f"{aspect}：{label}" if ln.startswith(aspect + "：") else ln for ln in text.split("\n")
    ]
    return "\n".join(lines)


def _slip(index: int, labels: dict[str, str], target: str) -> str:
    """The prediction for review `index` (0-based): the target, or a typical slip of it."""
    one = index + 1
    if one in (3, 40):  # Natural layout where Lines was trained
        return sdeparse.render(labels, TASK, "natural")
    if one == 12:  # ASCII colons on two lines (cosmetic under strict, an error for the paper)
        lines = target.split("\n")
        return "\n".join(ln.replace("：", ":") if i in (1, 4) else ln for i, ln in enumerate(lines))
    if one == 7:  # label synonym
        return target.replace("正面", "积极", 1)
    if one == 24:
        return target.replace("负面", "消极", 1)
    if one == 19:  # cut off inside an item (token limit)
        return target[: target.index("卫生情况") + 2]
    if one == 10:  # the prompt's 输出： echoed as a prefix
        return "输出：" + target
    if one == 16:  # the format template echoed instead of an answer
        return "方面1：情感类别\n方面2：情感类别\n方面3：情感类别"
    if one == 21:  # aspect aliases
        return target.replace("食品评价", "菜品")
    if one == 45:
        return target.replace("服务人员态度", "服务员态度")
    if one == 33:  # a word that is no label
        return _replace_label(target, "食品评价", "不新鲜")
    if one == 28:  # a stray terminator
        return target + "。"
    if one == 36:  # a blank line between items
        return target.replace("\n", "\n\n", 1)
    if one == 27:  # genuine mistake: price read as neutral
        return _replace_label(target, "价格水平", "中性")
    if one == 48:  # genuine mistake: food read as neutral
        return _replace_label(target, "食品评价", "中性")
    return target


def build() -> list[dict[str, str]]:
    """The records, in order."""
    records = []
    for index, (review, code) in enumerate(REVIEWS):
        labels = {aspect: LABEL[c] for aspect, c in zip(TASK.aspect_names, code, strict=True)}
        target = sdeparse.render(labels, TASK, DESIGN)
        records.append(
            {
                "prompt": f"{INSTRUCTION}评论：{review}\n输出：",
                "target": target,
                "prediction": _slip(index, labels, target),
            }
        )
    return records


def main() -> None:
    path = Path(__file__).with_name("generations.jsonl")
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in build():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
