"""The "usable but invisible" sandbox (可用不可见, OPEN-8, AB30): aggregate SQL over a dataset, no rows out.

The applicant of an active application writes one SELECT over a table named `data` whose columns are the
application's approved items. Nothing the user typed reaches the database as text: the query is parsed with
sqlglot, every node is checked against a short whitelist, and the accepted tree is rebuilt as a SQLAlchemy
statement (literals become bound parameters) over a subquery of the pool table that selects only the
approved items. Only aggregates come back, and only for groups of at least k rows
(`profile.open_min_group_size`); smaller groups are withheld and counted. MIN and MAX are refused because
each is one record's value. The statement runs on its own connection in a read-only transaction with a
time limit (PostgreSQL: `statement_timeout`; SQLite: `query_only` and a bounded number of VM steps).

Every query, answered or refused, is a `SandboxQuery` row and an audit event; an answered one is also a
`Retrieval` (channel `sandbox`). Refusals are returned, not raised, so that the record of the attempt stays.

Known limit: k-thresholds do not stop differencing (two overlapping queries whose difference is one person);
the query log is there so that such patterns can be found and the user suspended (OPEN-7).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    Subquery,
    and_,
    distinct,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Tokenizer, TokenType

from govdata.audit.service import record
from govdata.authz import Actor
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput
from govdata.opendata.applications import _as_applicant, get_application, granted
from govdata.opendata.models import ApplicationState, OpenApplication, Retrieval, SandboxQuery
from govdata.opendata.service import require_usable
from govdata.opendata.users import require_portal_use
from govdata.pool.models import Pool
from govdata.pool.tables import pool_table

MAX_SQL = 4000
MAX_GROUPS = 1000  # groups returned at most; more are cut and the answer says so
MAX_IN_VALUES = 200
PG_TIMEOUT_MS = 5000
SQLITE_STEP_BLOCK = 10_000  # SQLite calls the progress handler every so many VM steps …
SQLITE_MAX_BLOCKS = 50_000  # … and the query is interrupted after this many calls (5 × 10⁸ steps)
ALLOWED_FUNCTIONS = "COUNT、SUM、AVG"
MIN_MAX_REASON = (
    "不允许使用 MIN / MAX：最小值和最大值就是某一条记录（某一个人）的真实取值，会泄露个体数据。"
    "请改用 COUNT、SUM 或 AVG"
)
STAR_REASON = (
    "不允许 SELECT *：沙箱只返回聚合结果，不返回明细数据。"
    "请使用 COUNT(*)、SUM(列)、AVG(列)，需要分组时加 GROUP BY"
)
_SELECT_PARTS = {"expressions", "from_", "where", "group", "having", "order", "limit"}
_PART_WORDS = {
    "distinct": "DISTINCT（去重后返回的就是明细取值）",
    "joins": "JOIN 或多表查询",
    "with_": "WITH 公用表表达式",
    "offset": "OFFSET",
    "locks": "FOR UPDATE 等锁定子句",
    "windows": "WINDOW 窗口定义",
    "qualify": "QUALIFY",
    "into": "SELECT INTO",
    "sample": "TABLESAMPLE",
    "laterals": "LATERAL",
}
_WRITE_WORDS = "沙箱只读：只允许一条 SELECT 查询，不允许 {what} 等修改数据、结构或数据库设置的语句"


class Refused(Exception):
    """The query breaks a sandbox rule: `reason` (Chinese) is recorded and shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SandboxResult:
    query_id: int
    outcome: str  # answered / refused
    reason: str | None
    columns: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)
    groups_returned: int = 0
    groups_suppressed: int = 0
    truncated: bool = False
    k: int = 0


# ---------------------------------------------------------------- parsing and static checks


def parse(sql: str) -> exp.Select:
    """One SELECT, no comments, no second statement: the tree the whitelist walks next."""
    if not sql.strip():
        raise Refused("请填写查询语句")
    if len(sql) > MAX_SQL:
        raise Refused(f"查询语句过长：不得超过 {MAX_SQL} 个字符")
    try:
        tokens = Tokenizer().tokenize(sql)
    except (TokenError, ParseError, ValueError):
        raise Refused("SQL 语法错误：无法识别其中的符号，请检查引号是否成对") from None
    if any(t.comments for t in tokens):
        raise Refused("不允许注释（-- 或 /* */）：请删除注释后再提交")
    semicolons = [n for n, t in enumerate(tokens) if t.token_type == TokenType.SEMICOLON]
    if semicolons and semicolons != [len(tokens) - 1]:
        raise Refused("只能提交一条查询语句：不允许用分号连接多条语句")
    try:
        trees = [t for t in sqlglot.parse(sql) if t is not None]
    except ParseError as exc:
        where = exc.errors[0] if exc.errors else {}
        at = f"（第 {where.get('line')} 行第 {where.get('col')} 列附近）" if where.get("line") else ""
        raise Refused(f"SQL 语法错误{at}：沙箱只接受一条 SELECT 聚合查询") from None
    except (TokenError, RecursionError, ValueError):
        raise Refused("SQL 语法错误或嵌套过深，无法解析") from None
    if len(trees) != 1:
        raise Refused("只能提交一条查询语句")
    tree = trees[0]
    if isinstance(tree, exp.SetOperation):
        raise Refused("不允许 UNION / INTERSECT / EXCEPT：只能提交一条 SELECT 查询")
    if not isinstance(tree, exp.Select):
        what = tree.key.upper() if tree.key != "command" else str(tree.this).split()[0].upper()
        raise Refused(_WRITE_WORDS.format(what=what))
    for part, value in tree.args.items():
        if value and part not in _SELECT_PARTS:
            raise Refused(f"不支持 {_PART_WORDS.get(part, part.upper())}")
    source = tree.args.get("from_")
    table = source.this if isinstance(source, exp.From) else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        if table is not None and table.find(exp.Select):
            raise Refused("不允许子查询：只能查询表 data")
        raise Refused("只能查询表 data：请写 FROM data")
    extra = {k for k, v in table.args.items() if v and k not in ("this", "alias")}
    alias = table.args.get("alias")
    if table.name.lower() != "data" or extra or (alias is not None and alias.columns):
        raise Refused("只能查询表 data（不能指定其他表、库或模式）")
    return tree


# ---------------------------------------------------------------- the whitelist, rebuilt as SQLAlchemy

Compare = Callable[[Any, Any], ColumnElement[bool]]
_COMPARE: dict[type[exp.Expression], Compare] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_AGGREGATES = (exp.Count, exp.Sum, exp.Avg)


def _refuse_node(node: exp.Expression) -> Refused:
    """The reason for a construct outside the whitelist, as specific as it can be."""
    if isinstance(node, exp.Min | exp.Max):
        return Refused(MIN_MAX_REASON)
    if isinstance(node, exp.Star):
        return Refused(STAR_REASON)
    if isinstance(node, exp.Select | exp.Subquery | exp.Exists):
        return Refused("不允许子查询")
    if isinstance(node, exp.Window):
        return Refused("不允许窗口函数（OVER）")
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return Refused("不支持参数占位符（? 或 :名称），请直接写取值")
    if isinstance(node, exp.Cast):
        return Refused("不允许类型转换（CAST 或 ::）")
    if isinstance(node, exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        return Refused(f"不允许使用函数 {name.upper()}：只允许 {ALLOWED_FUNCTIONS} 三种聚合函数")
    if isinstance(node, exp.Binary | exp.Neg | exp.BitwiseNot):
        return Refused("不允许算术、字符串拼接或位运算：WHERE 中只能把信息项与取值比较")
    return Refused(f"不支持的语法：{node.key.upper()}")


@dataclass
class _Literal:
    value: object


class _Builder:
    """Turns an accepted tree into SQLAlchemy; anything it does not know is refused."""

    def __init__(self, data: Subquery, listing_fields: set[str], alias: str | None) -> None:
        self.data = data
        self.listing_fields = listing_fields
        self.qualifiers = {"", "data"} | ({alias.lower()} if alias else set())
        self.group_keys: set[str] = set()

    # -- leaves

    def column(self, node: exp.Column) -> ColumnElement[Any]:
        if node.args.get("db") or node.args.get("catalog") or node.table.lower() not in self.qualifiers:
            raise Refused(f"列 {node.sql()} 不属于表 data")
        ident = node.this
        if isinstance(ident, exp.Star):
            raise Refused(STAR_REASON)
        name = ident.name if getattr(ident, "quoted", False) else ident.name.lower()
        if name not in self.data.c:
            if name in self.listing_fields:
                raise Refused(f"信息项 {name} 不在本申请批准的信息项中")
            raise Refused(f"表 data 没有列 {name}（可用：{'、'.join(self.data.c.keys())}）")
        return self.data.c[name]

    def literal(self, node: exp.Expression) -> _Literal:
        if isinstance(node, exp.Paren):
            return self.literal(node.this)
        if isinstance(node, exp.Null):
            return _Literal(None)
        if isinstance(node, exp.Boolean):
            return _Literal(bool(node.this))
        negative = isinstance(node, exp.Neg)
        if negative:
            node = node.this
        if isinstance(node, exp.Literal):
            if node.is_string:
                if negative:
                    raise Refused("负号只能用于数字")
                return _Literal(str(node.this))
            try:
                number = decimal.Decimal(str(node.this))
            except decimal.InvalidOperation:
                raise Refused(f"无法识别的数字：{node.this}") from None
            number = -number if negative else number
            return _Literal(int(number) if number == number.to_integral_value() else number)
        raise _refuse_node(node)

    def operand(self, node: exp.Expression, *, aggregates: bool) -> ColumnElement[Any] | _Literal:
        if isinstance(node, exp.Paren):
            return self.operand(node.this, aggregates=aggregates)
        if isinstance(node, exp.Column):
            column = self.column(node)
            if aggregates and str(column.key) not in self.group_keys:
                # SQLite would answer with one arbitrary record's value: a leak, so HAVING sees groups only.
                raise Refused(f"HAVING 中的信息项 {column.key} 须在 GROUP BY 中；对记录的条件请写在 WHERE 中")
            return column
        if isinstance(node, _AGGREGATES):
            if not aggregates:
                raise Refused("WHERE 中不能使用聚合函数：对分组的条件请写在 HAVING 中")
            return self.aggregate(node)
        if isinstance(node, exp.Literal | exp.Null | exp.Boolean | exp.Neg):
            return self.literal(node)
        raise _refuse_node(node)

    @staticmethod
    def coerce(value: object, against: ColumnElement[Any]) -> object:
        """A literal as the type of the column it is compared with: dates as dates, numbers as numbers."""
        if value is None:
            return None
        kind = against.type
        name = getattr(against, "key", None) or "聚合值"
        if isinstance(kind, Boolean):
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise Refused(f"{name} 是布尔型，取值须为 TRUE 或 FALSE")
        if isinstance(kind, Integer | Numeric) or not isinstance(kind, String | Date | DateTime):
            if isinstance(value, bool) or not isinstance(value, int | decimal.Decimal):
                raise Refused(f"{name} 是数值型，比较的取值须为数字（不加引号）")
            return value
        if isinstance(kind, DateTime):
            try:
                return dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise Refused(f"{name} 是日期时间型，取值须写成 'YYYY-MM-DD HH:MM:SS'") from None
        if isinstance(kind, Date):
            try:
                return dt.date.fromisoformat(str(value))
            except ValueError:
                raise Refused(f"{name} 是日期型，取值须写成 'YYYY-MM-DD'") from None
        return str(value)

    # -- aggregates

    def aggregate(self, node: exp.Expression) -> ColumnElement[Any]:
        inner = node.this
        if isinstance(node, exp.Count):
            if isinstance(inner, exp.Star) or (isinstance(inner, exp.Literal) and not inner.is_string):
                return func.count()
            if isinstance(inner, exp.Distinct):
                if len(inner.expressions) != 1 or not isinstance(inner.expressions[0], exp.Column):
                    raise Refused("COUNT(DISTINCT …) 只能用于一个信息项")
                return func.count(distinct(self.column(inner.expressions[0])))
            if isinstance(inner, exp.Column):
                return func.count(self.column(inner))
            raise Refused("COUNT 的参数只能是 *、1 或一个信息项")
        if not isinstance(inner, exp.Column):
            if inner is not None and isinstance(inner, exp.Distinct):
                raise Refused("SUM / AVG 不支持 DISTINCT")
            raise Refused("SUM / AVG 的参数只能是一个信息项")
        column = self.column(inner)
        if not isinstance(column.type, Integer | Numeric):
            raise Refused(f"SUM / AVG 只能用于数值型信息项（{column.key} 不是数值型）")
        return func.sum(column) if isinstance(node, exp.Sum) else func.avg(column)

    # -- conditions

    def predicate(self, node: exp.Expression, *, aggregates: bool) -> ColumnElement[bool]:
        if isinstance(node, exp.Paren):
            return self.predicate(node.this, aggregates=aggregates)
        if isinstance(node, exp.And):
            return and_(self.predicate(node.this, aggregates=aggregates),
                        self.predicate(node.expression, aggregates=aggregates))  # fmt: skip
        if isinstance(node, exp.Or):
            return or_(self.predicate(node.this, aggregates=aggregates),
                       self.predicate(node.expression, aggregates=aggregates))  # fmt: skip
        if isinstance(node, exp.Not):
            return not_(self.predicate(node.this, aggregates=aggregates))
        compare = _COMPARE.get(type(node))
        if compare is not None:
            left = self.operand(node.this, aggregates=aggregates)
            right = self.operand(node.expression, aggregates=aggregates)
            if isinstance(left, _Literal) and isinstance(right, _Literal):
                raise Refused("比较的两边至少有一边须为信息项")
            if isinstance(left, _Literal):
                return compare(self.coerce(left.value, right), right)  # type: ignore[arg-type]
            if isinstance(right, _Literal):
                if right.value is None:
                    raise Refused("与 NULL 比较请写 IS NULL 或 IS NOT NULL")
                return compare(left, self.coerce(right.value, left))
            return compare(left, right)
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise Refused("IN 中不允许子查询：请直接列出取值")
            target = self.operand(node.this, aggregates=aggregates)
            if isinstance(target, _Literal):
                raise Refused("IN 的左边须为信息项")
            values = node.expressions
            if not values or len(values) > MAX_IN_VALUES:
                raise Refused(f"IN 须列出 1 至 {MAX_IN_VALUES} 个取值")
            return target.in_([self.coerce(self.literal(v).value, target) for v in values])
        if isinstance(node, exp.Like | exp.ILike):
            if node.args.get("escape"):
                raise Refused("LIKE 不支持 ESCAPE")
            target = self.operand(node.this, aggregates=aggregates)
            pattern = self.literal(node.expression).value
            if isinstance(target, _Literal) or not isinstance(target.type, String):
                raise Refused("LIKE 只能用于文本型信息项")
            if not isinstance(pattern, str):
                raise Refused("LIKE 的模式须为加引号的文本，如 '四川省%'")
            return target.ilike(pattern) if isinstance(node, exp.ILike) else target.like(pattern)
        if isinstance(node, exp.Is):
            target = self.operand(node.this, aggregates=aggregates)
            if isinstance(target, _Literal) or not isinstance(node.expression, exp.Null):
                raise Refused("IS 只能写成 信息项 IS NULL 或 信息项 IS NOT NULL")
            return target.is_(None)
        if isinstance(node, exp.Between):
            target = self.operand(node.this, aggregates=aggregates)
            if isinstance(target, _Literal):
                raise Refused("BETWEEN 的左边须为信息项")
            low = self.coerce(self.literal(node.args["low"]).value, target)
            high = self.coerce(self.literal(node.args["high"]).value, target)
            return target.between(low, high)
        if isinstance(node, exp.Column | exp.Literal | exp.Boolean):
            raise Refused("条件须为比较，例如 信息项 = '取值'、信息项 > 10、信息项 IN ('a', 'b')")
        raise _refuse_node(node)


@dataclass(frozen=True)
class Plan:
    statement: Select[Any]
    suppressed: Select[Any] | None  # counts the groups below k; None when there is no GROUP BY
    labels: list[str]
    limit: int
    user_limit: int | None


def build(tree: exp.Select, data: Subquery, listing_fields: set[str], k: int) -> Plan:
    """The accepted query over `data`, with COUNT(*) >= k enforced on every group."""
    table = tree.args["from_"].this
    alias = table.alias or None
    b = _Builder(data, listing_fields, alias)
    group_nodes: list[exp.Expression] = list(tree.args["group"].expressions) if tree.args.get("group") else []
    items = list(tree.expressions)
    if not items:
        raise Refused("请写出要返回的聚合结果，例如 SELECT COUNT(*) FROM data")
    # GROUP BY: columns only (or the position of a selected column).
    groups: list[ColumnElement[Any]] = []
    for node in group_nodes:
        if isinstance(node, exp.Literal) and not node.is_string:
            position = int(node.this)
            if not 1 <= position <= len(items):
                raise Refused(f"GROUP BY {position} 超出了选择列表的范围")
            node = items[position - 1].unalias()
        if not isinstance(node, exp.Column):
            raise Refused("GROUP BY 只能按信息项分组")
        groups.append(b.column(node))
    group_keys = b.group_keys = {str(g.key) for g in groups}
    # SELECT: aggregates, or the columns grouped by.
    selected: list[ColumnElement[Any]] = []
    labels: list[str] = []
    by_alias: dict[str, ColumnElement[Any]] = {}
    for node in items:
        inner = node.unalias() if isinstance(node, exp.Alias) else node
        if isinstance(inner, exp.Star) or (
            isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)
        ):
            raise Refused(STAR_REASON)
        if isinstance(inner, _AGGREGATES):
            value = b.aggregate(inner)
        elif isinstance(inner, exp.Column):
            value = b.column(inner)
            if str(value.key) not in group_keys:
                raise Refused(
                    f"选择的信息项 {value.key} 既不是聚合结果也不在 GROUP BY 中：沙箱只返回分组的统计结果"
                )
        else:
            raise _refuse_node(inner)
        label = node.alias if isinstance(node, exp.Alias) else inner.sql()
        if isinstance(node, exp.Alias):
            by_alias[node.alias.lower()] = value
        selected.append(value.label(f"c{len(selected)}"))
        labels.append(label)
    where = b.predicate(tree.args["where"].this, aggregates=False) if tree.args.get("where") else None
    having = b.predicate(tree.args["having"].this, aggregates=True) if tree.args.get("having") else None
    # ORDER BY: a selected alias, its position, a grouped column or an aggregate.
    order: list[ColumnElement[Any]] = []
    for ordered in tree.args["order"].expressions if tree.args.get("order") else []:
        node = ordered.this
        if isinstance(node, exp.Literal) and not node.is_string:
            position = int(node.this)
            if not 1 <= position <= len(selected):
                raise Refused(f"ORDER BY {position} 超出了选择列表的范围")
            target: ColumnElement[Any] = selected[position - 1]
        elif isinstance(node, exp.Column) and not node.table and node.name.lower() in by_alias:
            target = by_alias[node.name.lower()]
        elif isinstance(node, _AGGREGATES):
            target = b.aggregate(node)
        elif isinstance(node, exp.Column):
            target = b.column(node)
            if str(target.key) not in group_keys:
                raise Refused(f"ORDER BY 的信息项 {target.key} 须在 GROUP BY 中")
        else:
            raise _refuse_node(node)
        order.append(target.desc() if ordered.args.get("desc") else target.asc())
    user_limit = None
    if tree.args.get("limit"):
        given = tree.args["limit"].expression
        if not (isinstance(given, exp.Literal) and not given.is_string and str(given.this).isdigit()):
            raise Refused("LIMIT 只能是一个非负整数")
        user_limit = int(given.this)
    limit = min(user_limit if user_limit is not None else MAX_GROUPS, MAX_GROUPS)
    size = func.count()
    statement = select(*selected, size.label("_n")).select_from(data)
    if where is not None:
        statement = statement.where(where)
    suppressed = None
    if groups:
        statement = statement.group_by(*groups)
        kept = size >= k
        statement = statement.having(and_(having, kept) if having is not None else kept)
        small = select(*groups).select_from(data)
        if where is not None:
            small = small.where(where)
        small = small.group_by(*groups).having(and_(having, size < k) if having is not None else size < k)
        suppressed = select(func.count()).select_from(small.subquery("small"))
    elif having is not None:
        statement = statement.having(having)
    if order:
        statement = statement.order_by(*order)
    fetch = limit + 1 if user_limit is None or user_limit > MAX_GROUPS else limit
    return Plan(statement.limit(fetch), suppressed, labels, limit, user_limit)


# ---------------------------------------------------------------- running it


def _plain(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _execute(ctx: Ctx, plan: Plan) -> tuple[list[Any], int]:
    """Read only, on a connection of its own, with a time (or step) limit; always rolled back."""
    bind = ctx.session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(PG_TIMEOUT_MS)}")
            try:
                rows = list(conn.execute(plan.statement).all())
                small = int(conn.execute(plan.suppressed).scalar_one()) if plan.suppressed is not None else 0
            finally:
                conn.rollback()
            return rows, small
        raw = conn.connection.driver_connection
        calls = 0

        def budget() -> int:
            nonlocal calls
            calls += 1
            return 1 if calls > SQLITE_MAX_BLOCKS else 0

        conn.exec_driver_sql("PRAGMA query_only = ON")
        raw.set_progress_handler(budget, SQLITE_STEP_BLOCK)  # type: ignore[union-attr]
        try:
            rows = list(conn.execute(plan.statement).all())
            small = int(conn.execute(plan.suppressed).scalar_one()) if plan.suppressed is not None else 0
        finally:
            raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
            conn.rollback()
            conn.exec_driver_sql("PRAGMA query_only = OFF")
        return rows, small


def _answer(plan: Plan, rows: list[Any], small: int, k: int) -> tuple[list[list[object]], int, bool]:
    """Rows without the group size; an ungrouped answer below k is withheld like a small group."""
    if plan.suppressed is None:
        kept = [r for r in rows if r[-1] >= k]
        small = len(rows) - len(kept)
        rows = kept
    truncated = len(rows) > plan.limit
    rows = rows[: plan.limit]
    return [[_plain(v) for v in r[:-1]] for r in rows], small, truncated


def _data(ctx: Ctx, application: OpenApplication) -> tuple[Subquery, set[str]]:
    listing = application.listing
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == listing.resource_id)).first()
    if pool is None:
        raise InvalidInput("该数据集尚未归集数据，暂不能查询")
    table = pool_table(pool)
    items = [f for f in granted(application) if f in table.c]
    if not items:
        raise InvalidInput("批准的信息项在数据中不存在，请联系数据提供单位")
    data = select(*[table.c[f].label(f) for f in items]).subquery("data")
    return data, {i.field_name for i in listing.items}


def usable_application(ctx: Ctx, actor: Actor, application_id: int) -> OpenApplication:
    """The applicant's own application, active and within its term today, for a dataset still open."""
    require_portal_use(ctx, actor)
    application = get_application(ctx, actor, application_id)
    _as_applicant(actor, application)
    require_usable(application.listing)
    today = ctx.clock.today()
    if application.state != ApplicationState.ACTIVE:
        raise Forbidden("申请生效后（提供单位同意、并在线签署安全承诺书和数据使用协议）才能使用沙箱")
    if not (application.access_from and application.access_until) or not (
        application.access_from <= today <= application.access_until
    ):
        raise Forbidden(f"申请的使用期限（至 {application.access_until}）已届满，不能再使用沙箱")
    return application


def run(ctx: Ctx, actor: Actor, application_id: int, sql: str) -> SandboxResult:
    """Check, run and record one query. Access problems raise; query problems come back as refused."""
    application = usable_application(ctx, actor, application_id)
    data, listing_fields = _data(ctx, application)
    k = ctx.profile.open_min_group_size
    text = sql.strip()[: MAX_SQL + 1]
    columns: list[str] = []
    rows: list[list[object]] = []
    small, truncated, reason = 0, False, None
    try:
        plan = build(parse(text), data, listing_fields, k)
        columns = plan.labels
        try:
            raw_rows, raw_small = _execute(ctx, plan)
        except DBAPIError as exc:
            timeout = "timeout" in str(exc.orig).lower() or "interrupted" in str(exc.orig).lower()
            if timeout:
                raise Refused("查询超出沙箱的计算时限，请缩小范围或简化查询") from None
            raise Refused("查询无法执行：请检查信息项的类型与比较的取值是否一致") from None
        rows, small, truncated = _answer(plan, raw_rows, raw_small, k)
    except Refused as refused:
        reason, columns, rows = refused.reason, [], []
    outcome = "refused" if reason else "answered"
    query = SandboxQuery(
        application_id=application.id,
        user_id=actor.user_id,
        sql=text[:MAX_SQL],
        outcome=outcome,
        reason=reason,
        groups_returned=len(rows),
        groups_suppressed=small,
        at=ctx.clock.now(),
    )
    ctx.session.add(query)
    if outcome == "answered":
        ctx.session.add(
            Retrieval(
                listing_id=application.listing_id,
                user_id=actor.user_id,
                channel="sandbox",
                application_id=application.id,
                rows=len(rows),
                at=ctx.clock.now(),
            )
        )
    ctx.session.flush()
    record(ctx, actor, "open.sandbox.query", "open_application", application.id,
           outcome="success" if outcome == "answered" else "refused", purpose=application.purpose,
           detail={"query": query.id, "groups_returned": len(rows), "groups_suppressed": small,
                   "reason": reason})  # fmt: skip
    return SandboxResult(query.id, outcome, reason, columns, rows, len(rows), small, truncated, k)


def history(ctx: Ctx, actor: Actor, application_id: int, limit: int = 20) -> list[SandboxQuery]:
    """Recent queries of an application: its applicant, provider and authority may read them (OPEN-7)."""
    application = get_application(ctx, actor, application_id)
    return list(
        ctx.session.scalars(
            select(SandboxQuery)
            .where(SandboxQuery.application_id == application.id)
            .order_by(SandboxQuery.id.desc())
            .limit(limit)
        )
    )


def columns_of(ctx: Ctx, application: OpenApplication) -> list[tuple[str, str, str]]:
    """(column, Chinese name, type in words) of the sandbox's `data` table, for the page."""
    by_field = {i.field_name: i for i in application.listing.items}
    words = {"string": "文本", "integer": "整数", "decimal": "数值", "date": "日期", "datetime": "日期时间",
             "boolean": "布尔"}  # fmt: skip
    out = []
    for f in granted(application):
        item = by_field.get(f)
        if item is not None:
            out.append((f, item.name, words.get(item.data_type, item.data_type)))
    return out
