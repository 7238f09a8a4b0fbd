"""Plain-language notes for the teaching panel: what a scenario shows and what to try next.

Notes are keyed by scenario name; a scenario without notes gets its own description and the
general suggestions. Every suggestion is something the side panel (or the extra `--set` box) can
do, followed by Reset and Play, and names the chart or comparison to watch.
"""

from __future__ import annotations

from market.scenario import Scenario

CAVEAT = (
    "The model is not calibrated yet (see the README): read directions and mechanisms, not levels. "
    "With {consumers:,} simulated consumers each stands for {scale:,.0f} people, so a small app's DAU "
    "moves in steps of that size; raise the population for smoother lines."
)

GENERAL_TRIES = [
    "Pick a firm and **close or open its weights**; press **Reset**, then Play. Watch the token share "
    "chart: open weights let clouds host the model, so tokens move to the hosts.",
    "Switch a firm's **API price policy** to `undercut` and watch the *API list prices* chart: do rivals "
    "follow it down? Then watch its margin and runway on the *Money* tab.",
    "Give an app a big **daily ad budget**: bought users come fast but churn faster than organic ones, "
    "and the budget stops when runway gets short.",
    "Type `firms.stepfun.cash=0` in the extra `--set` box: a firm with no cash and no parent exits on day 1 "
    "(an x on the DAU and cash charts); its users go elsewhere.",
]

NOTES: dict[str, dict[str, object]] = {
    "history": {
        "shows": [
            "**An efficiency shock becomes a price war.** In May 2024 DeepSeek-V2 cuts DeepSeek's serving "
            "cost; its cost-plus price falls to 1 CNY/M tokens, Doubao lists at 0.8 (both dated, evidence-"
            "backed decisions) and the other firms' *follow* and *undercut* rules carry the cut through the "
            "market within weeks. See *API list prices* (log scale): twenty-fold cuts in a month.",
            "**Margins.** Serving costs fall on a learning curve, list prices fall faster. Firms with cash (or "
            "a parent) may price below cost: watch the *MaaS gross margin* and *runway* charts on the *Money* tab.",
            "**Users follow quality, friends and ads.** People hear of apps from neighbours (the *Network* tab) "
            "and from bought installs; Douyin's ban on rival AI ads (2024-04-02, event tag) makes rivals' "
            "installs dearer than Doubao's.",
            "**Open weights travel.** DeepSeek-R1 (January 2025) is open: clouds host it and Tencent puts it "
            "into Yuanbao and WeChat search (2025-02-16). Watch Yuanbao in the DAU chart.",
            "**The tigers run short of cash.** Some leave giant-model pretraining (Baichuan and 01.AI in "
            "February 2025); a firm whose cash runs out exits.",
        ],
        "tries": [
            "**Close DeepSeek's weights** (firm DeepSeek, untick *open weights*), Reset, Play into 2025. "
            "Compare *Tencent: DAU* below: without an open R1 there is nothing better to put into Yuanbao.",
            "**Move the API price policy** of Zhipu to `cost_plus` (price = markup x own cost) or of ByteDance "
            "to `follow`. The dated May 2024 cuts still happen (they are evidence, held for a year); watch what "
            "the followers do around them and the *token-weighted mean API price* comparison.",
            "**Buy traffic for Kimi**: Moonshot's daily ad budget at the right end (10 M CNY/day). Watch Kimi's "
            "DAU, then its cash and runway: does it have to stop, pivot, or raise money?",
            "**Make Baidu's app free from day one** (subscription price 0): the history makes ERNIE Bot free "
            "only on 2025-04-01.",
            "**Force an exit**: `firms.stepfun.cash=0` in the extra `--set` box.",
        ],
    },
}



# Counterfactuals of the history: their own description says what changes; the note says what to
# watch, and `compare` is the metric the comparison view opens with (this run against history).
COUNTERFACTUALS: dict[str, tuple[str, str]] = {
    "deepseek-closed": ("Watch Yuanbao (Tencent) in 2025 and the hosted share of tokens: with no open R1 there is "
                        "nothing for clouds to host or for apps to integrate.", "Tencent: DAU (people)"),
    "doubao-stops-ads": ("Watch Doubao after 2025-01-01: bought users churn faster than organic ones, so does its "
                         "DAU fall back, and who takes the users?", "ByteDance: DAU (people)"),
    "history-endogenous": ("No price cut or release of weights is scripted here: does a price war still follow "
                           "DeepSeek-V2's cost shock in May 2024, and how fast?",
                           "token-weighted mean API list price (CNY/M)"),
    "no-douyin-ban": ("Rivals can buy Douyin traffic all along: does Doubao's lead in DAU shrink, and does "
                      "app concentration fall?", "app concentration, HHI (0-10,000)"),
    "no-price-war": ("No loss leaders: prices stay at or above serving cost. Compare the mean list price and the "
                     "tigers' cash and runway with the history.", "token-weighted mean API list price (CNY/M)"),
    "subscriptions-west": ("Consumers who pay for a premium tier: do paid apps keep their users, and does the "
                           "number of people using AI apps change?", "total DAU, all apps (people)"),
    "tencent-no-integration": ("Yuanbao keeps Hunyuan and WeChat search stays closed: compare Yuanbao's DAU in 2025 "
                               "with the history, where it carries DeepSeek-R1.", "Tencent: DAU (people)"),
}


def notes_for(scenario: Scenario) -> tuple[list[str], list[str]]:
    """(what the scenario shows, what to try) as Markdown bullet texts."""
    name = scenario.meta.name
    known = NOTES.get(name)
    if known is not None:
        return list(known["shows"]), list(known["tries"])
    shows = [scenario.meta.description or f"Scenario '{name}' ({scenario.source})."]
    if name in COUNTERFACTUALS:
        watch, metric = COUNTERFACTUALS[name]
        shows.append(f"{watch} The comparison below opens on *{metric}*: this run against the history.")
    return shows, list(GENERAL_TRIES)


def compare_metric(scenario: Scenario) -> str | None:
    """The comparison metric that best shows what the scenario changes, if there is one."""
    entry = COUNTERFACTUALS.get(scenario.meta.name)
    return entry[1] if entry else None


def caveat(scenario: Scenario) -> str:
    pop = scenario.population
    return CAVEAT.format(consumers=pop.consumers, scale=pop.real_population / max(pop.consumers, 1))
