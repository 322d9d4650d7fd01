"""Every sentence the hub says to people, in Simplified Chinese (the default) and English.

A sentence is a key with named slots. A slot may say how its value is shown: `{at:time}` (Beijing
time), `{at:age}` ("5 分钟前"), `{where:pos}` (degrees and minutes, from [lat, lon]),
`{persons:persons}` ("船上 3 人" / "3 aboard", or unknown), `{nature:nature}` (a code looked up in the word table
`nature`), `{gap:nm}` (one decimal), `{note:suffix}` (", note" when there is one),
`{detail:phrase}` (a phrase within the phrase). Plain `{name}` is the value as it is.

The console reads this same catalogue (`GET /api/v1/texts`), so a stored phrase reads the same in
the console, an SMS and a log, in whichever language the reader chose.
"""

from __future__ import annotations

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

# word tables: code -> (zh-CN, en)
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "nature": {
        "fire": ("火灾", "fire"), "flooding": ("进水", "flooding"),
        "collision": ("碰撞", "collision"), "grounding": ("搁浅", "grounding"),
        "listing": ("倾斜", "listing"), "sinking": ("沉没", "sinking"),
        "adrift": ("失去动力漂流", "adrift without power"),
        "man_overboard": ("人员落水", "man overboard"), "piracy": ("海盗", "piracy"),
        "abandoning": ("弃船", "abandoning ship"), "medical": ("医疗急救", "medical emergency"),
        "undesignated": ("遇险（未说明）", "distress (undesignated)"),
    },
    "alert_type": {
        "distress": ("遇险", "Distress"), "lost_contact": ("失联", "Lost contact"),
        "maintenance": ("在港静默", "Silent in port"), "zone": ("区域", "Zone"),
        "separation": ("脱离编队", "Separated from group"),
        "recall": ("撤离未归", "Recall: unaccounted"), "request": ("求助待回复", "Request waiting"),
        "recall_track": ("与轨迹不符", "Recall answer contradicted by track"),
        "left_port": ("离港", "Left port during a recall"),
    },
    "recall_line": {
        "in_port": ("已回港", "in port"), "returning_on_time": ("返港中（按时）", "returning, on time"),
        "returning_late": ("返港中（超时）", "returning, late"),
        "sheltering": ("在他港避风", "sheltering elsewhere"), "distress": ("遇险", "in distress"),
        "lost_contact": ("失联", "lost contact"), "unaccounted": ("未落实", "unaccounted"),
        "total": ("船数", "vessels"), "done": ("已落实（人员上岸）", "done (crew ashore)"),
        "persons_aboard": ("船员数", "persons aboard"), "persons_ashore": ("已上岸人数", "persons ashore"),
        "contradicted": ("与轨迹不符", "contradicted by track"), "left_port": ("离港", "left port"),
    },
    "recall_source": {
        "answer": ("船方回复", "the boat's answer"), "track": ("轨迹", "track"), "none": ("无", "none"),
    },
    "recall_col": {
        "grid": ("网格", "grid"), "vessel_id": ("船舶编号", "vessel id"), "hull_name": ("船名", "hull name"),
        "line": ("状态", "status"), "flags": ("标记", "flags"), "source": ("依据", "source"),
        "answer": ("回复", "answer"), "port": ("港口", "harbour"), "distance_nm": ("距港（海里）", "to harbour (nmi)"),
        "eta": ("预计到港（北京时间）", "ETA (Beijing time)"), "position": ("最后位置", "last position"),
        "fix_time": ("定位时间（北京时间）", "fix time (Beijing time)"), "fix_age": ("定位距今（分钟）", "fix age (min)"),
        "link": ("链路", "link"), "contact": ("联系状态", "contact"),
        "persons_aboard": ("船员数", "persons aboard"), "persons_ashore": ("已上岸人数", "persons ashore"),
        "done": ("已落实", "done"), "yes": ("是", "yes"), "no": ("否", "no"),
        "title": ("台风撤离看板 #{id}", "Typhoon recall board #{id}"),
        "as_of": ("统计时间（北京时间）", "as of (Beijing time)"), "deadline": ("撤离时限（北京时间）", "deadline (Beijing time)"),
        "shelter": ("指定避风港", "named shelter"), "complete_at": ("全部落实时间", "100% at"),
        "summary": ("汇总", "summary"), "boats": ("船舶", "vessels"), "all": ("合计", "total"),
    },
    "port_col": {
        "time": ("时间（北京时间）", "time (Beijing time)"), "port": ("港口", "port"),
        "kind": ("进/出港", "in/out"), "grid": ("网格", "grid"), "vessel_id": ("船舶编号", "vessel id"),
        "hull_name": ("船名", "hull name"), "persons": ("船上人数", "persons aboard"),
        "source": ("依据", "source"), "in": ("进港", "in"), "out": ("出港", "out"),
        "track": ("轨迹", "track"), "terminal": ("终端报告", "terminal report"),
        "terminal+track": ("终端报告（轨迹印证）", "terminal report, confirmed by track"),
    },
    "recall_answer": {
        "returning": ("正在返港", "returning"), "sheltering": ("在他港避风", "sheltering elsewhere"),
        "in_port": ("已在港", "in port"), "none": ("未回复", "no answer"),
    },
    "phase": {
        "uncertainty": ("不明阶段", "uncertainty phase"), "alert": ("告警阶段", "alert phase"),
        "distress": ("遇险阶段", "distress phase"),
        "unaccounted": ("未落实", "unaccounted"), "returning_late": ("返港超时", "returning, late"),
        "returning_on_time": ("返港中", "returning"),
    },
    "level": {
        "0": ("值班员", "duty officer"), "1": ("网格长", "grid leader"),
        "2": ("县应急办", "county emergency desk"),
    },
    "zone_kind": {
        "protected": ("保护区", "protected area"), "moratorium": ("休渔期海域", "moratorium area"),
        "sensitive": ("敏感海域", "sensitive area"),
        "shipping_lane": ("航道附近", "near a shipping lane"),
    },
    "outcome": {
        "rescued": ("人员已获救", "rescued"), "false_alarm": ("误报", "false alarm"),
        "contact_restored": ("已恢复联系", "contact restored"), "other": ("其他", "other"),
    },
    "link": {
        "mqtt": ("4G/5G 网络", "mobile network"), "beidou": ("北斗短报文", "Beidou"),
        "ais": ("AIS", "AIS"), "nmea": ("GNSS 终端", "GNSS box"),
    },
    "delivery": {
        "accepted": ("已接受", "accepted"), "declined": ("已拒绝", "declined"),
        "delivered": ("已收到", "delivered"), "read": ("已阅", "read"),
        "acknowledged": ("已确认", "acknowledged"), "sent": ("已发出", "sent"),
        "queued": ("待发", "queued"), "expired": ("已过期", "expired"),
    },
    "category": {
        "equipment": ("设备", "equipment"), "policy": ("政策", "policy"),
        "medical": ("医疗", "medical"), "legal": ("法律", "legal"),
        "supplies": ("补给", "supplies"), "weather": ("天气", "weather"), "other": ("其他", "other"),
    },
    "signal": {
        "white": ("白色", "white"), "blue": ("蓝色", "blue"), "yellow": ("黄色", "yellow"),
        "orange": ("橙色", "orange"), "red": ("红色", "red"),
    },
}  # fmt: skip

# phrases: key -> (zh-CN, en)
PHRASES: dict[str, tuple[str, str]] = {
    # shown with alerts (their `detail`)
    "alert.distress": (
        "{nature:nature}，{persons:persons}，{where:pos}",
        "{nature:nature}, {persons:persons}, {where:pos}",
    ),
    "alert.distress.cancel_requested": (
        "船方申请取消报警：{reason}", "The boat asks to cancel the alarm: {reason}",
    ),
    "alert.lost_contact": (
        "最后联系 {last_heard:time}（{last_heard:age}）",
        "Last heard {last_heard:time} ({last_heard:age})",
    ),
    "alert.lost_contact.never": ("从未收到该船信号", "Never heard from"),
    "alert.maintenance": (
        "在港静默，最后联系 {last_heard:time}（{last_heard:age}）",
        "Silent in port, last heard {last_heard:time} ({last_heard:age})",
    ),
    "alert.maintenance.never": ("在港静默，从未收到该船信号", "Silent in port, never heard from"),
    "alert.zone": ("进入{kind:zone_kind}：{zone}", "Entered {kind:zone_kind}: {zone_en}"),
    "alert.separation": (
        "脱离编队 {group}：距最近同伴 {gap:nm} 海里",
        "Separated from group {group}: {gap:nm} nmi from the nearest mate",
    ),
    "alert.recall": (
        "撤离时限已到仍未归港或报告：{vessel}",
        "Recall deadline passed, not in port and no report: {vessel}",
    ),
    "alert.recall_track": (
        "撤离回复与轨迹不符：{vessel} 回复“{answer:recall_answer}”，距{port} {distance:nm} 海里且未在靠近",
        "Recall answer contradicted by the track: {vessel} answered \"{answer:recall_answer}\", "
        "{distance:nm} nmi from {port} and not closing",
    ),
    "alert.left_port_typhoon": (
        "台风预警期间离港：{vessel} 驶离{port}", "Left {port} while a typhoon warning is in force: {vessel}",
    ),
    "alert.left_port_moratorium": (
        "伏季休渔期间离港：{vessel} 驶离{port}", "Left {port} during the summer fishing moratorium: {vessel}",
    ),
    "alert.left_port": (
        "撤离令生效期间离港：{vessel}", "Left port while a recall is in force: {vessel}",
    ),
    # the alert's trail
    "trail.track_agrees": ("轨迹已与撤离要求相符", "The track agrees with the recall again"),
    "trail.in_harbour": ("已进港避风", "In a harbour now"),
    "trail.heard_again": ("经{link:link}重新收到信号", "Heard again via {link:link}"),
    "trail.heard_again.any": ("重新收到信号", "Heard again"),
    "trail.escalated": ("无人确认，升级至{level:level}", "Not acknowledged: escalated to the {level:level}"),
    "trail.left_zone": ("离开 {zone}", "Left {zone}"),
    "trail.back_in_port": ("已回港", "Back in port"),
    "trail.back_with_group": (
        "回到编队附近（{gap:nm} 海里）", "Back near the group ({gap:nm} nmi)",
    ),
    # an incident's log
    "log.alarm": (
        "{vessel} 遇险报警：{nature:nature}，{persons:persons}，位置 {where:pos}（{at:time}）{text:suffix}",
        "{vessel} distress call: {nature:nature}, {persons:persons}, at {where:pos} ({at:time}){text:suffix}",
    ),
    "log.new_distress_id": (
        "新的报警编号 {distress_id}，位置 {where:pos}", "New distress number {distress_id}, at {where:pos}",
    ),
    "log.cancel_requested": ("船方申请取消报警：{reason}", "The boat asks to cancel: {reason}"),
    "log.acknowledged": ("{by} 已确认报警{note:suffix}", "{by} acknowledged the alarm{note:suffix}"),
    "log.resolved": ("结案：{outcome:outcome}{note:suffix}", "Closed: {outcome:outcome}{note:suffix}"),
    "log.tasked": ("指派救援：{vessels}", "Tasked to assist: {vessels}"),
    "log.task_accepted": (
        "{vessel} 接受救援任务{eta:eta}{text:suffix}", "{vessel} accepts the task{eta:eta}{text:suffix}",
    ),
    "log.task_declined": ("{vessel} 拒绝救援任务{text:suffix}", "{vessel} declines the task{text:suffix}"),
    "log.sitrep": ("发出情况报告第 {number} 号", "SITREP {number} issued"),
    # notifications (SMS, webhook, e-mail, console)
    "notify.alert": (
        "【{type:alert_type}】{vessel}：{detail:phrase}（告警#{alert_id}，通知{level:level}）请立即处置",
        "[{type:alert_type}] {vessel}: {detail:phrase} (alert #{alert_id}, to the {level:level}). Act now.",
    ),
    "notify.alert.phase": (
        "【{type:alert_type}·{phase:phase}】{vessel}：{detail:phrase}（告警#{alert_id}，通知{level:level}）请立即处置",
        "[{type:alert_type}, {phase:phase}] {vessel}: {detail:phrase} (alert #{alert_id}, to the {level:level}). Act now.",
    ),
    "notify.storm": (
        "【{type:alert_type}】网格 {grid}：{count} 艘船——{vessels}（通知{level:level}，请在控制台逐一处置）",
        "[{type:alert_type}] grid {grid}: {count} boats - {vessels} (to the {level:level}; work each in the console)",
    ),
    "notify.digest": (
        "【告警汇总】另有 {count} 条告警未逐条发送：{list}",
        "[Digest] {count} more alerts not sent one by one: {list}",
    ),
    "notify.request": (
        "【渔民求助待回复】{vessel}：{category:category}——{text}（已等待 {minutes} 分钟）",
        "[Fisher's request waiting] {vessel}: {category:category} - {text} (waiting {minutes} min)",
    ),
    "notify.grid": ("网格 {grid}", "grid {grid}"),
    "request.reminded": ("提醒{level:level}：{who}", "Reminded the {level:level}: {who}"),
    # down messages to boats (their terminals show them)
    "down.distress_ack.title": ("岸基系统已收到您的报警（自动）", "The shore system has your call (automatic)"),
    "down.distress_ack.body": (
        "{vessel}：报警（{nature:nature}）已自动送达岸基，正在通知值班员。请保持通信畅通。",
        "{vessel}: your call ({nature:nature}) reached the shore automatically; the duty officer is being alerted. Stay on the air.",
    ),
    "down.distress_status.seen.title": ("值班员已看到您的报警", "The duty officer has your call"),
    "down.distress_status.seen": (
        "值班员 {by} 已于 {at:clock} 确认您的报警，正在组织救援。",
        "Duty officer {by} acknowledged your call at {at:clock}; help is being organised.",
    ),
    "down.distress_status.organised.title": ("救援已组织", "Help is on the way"),
    "down.distress_status.organised": (
        "{vessel} 正在前往，预计 {eta} 分钟到达。", "{vessel} is on its way, ETA {eta} min.",
    ),
    "down.distress_status.organised_no_eta": ("{vessel} 正在前往。", "{vessel} is on its way."),
    "down.distress_status.closed.title": ("报警已结案", "Your distress is closed"),
    "down.distress_status.closed": ("岸基已结案：{outcome:outcome}。", "Closed by the shore: {outcome:outcome}."),
    "down.refused.title": ("中心拒收了一条上行消息", "The hub refused an uplink"),
    "down.refused.body": (
        "拒收原因：{reason}（{detail}）。请改正后用新的编号重发。",
        "Refused: {reason} ({detail}). Correct it and send it again with a new id.",
    ),
    "down.distress_cancel_unknown.title": ("没有这个报警", "No such distress"),
    "down.distress_cancel_unknown.body": (
        "岸基没有编号为 {distress_id} 的报警，无需取消。",
        "The shore has no distress {distress_id}: nothing to cancel.",
    ),
    "down.distress_cancel_ack.title": ("已收到取消报警申请", "Your cancellation request is received"),
    "down.distress_cancel_ack.body": (
        "岸基值班员将核实后确认取消。", "The duty officer will check and confirm the cancellation.",
    ),
    "down.rescue_task.title": ("【救援任务】请立即前往救援", "[Rescue task] Go to assist now"),
    "down.rescue_task.body": (
        "{vessel} {nature:nature}，{persons:persons}，位置 {where:pos}。请回复接受（含预计到达时间）或拒绝。",
        "{vessel}: {nature:nature}, {persons:persons}, at {where:pos}. Reply accept (with your ETA) or decline.",
    ),
    "down.recall_reminder.title": ("【再次提醒】{title}", "[Reminder] {title}"),
    "down.reply.title": ("回复：{category:category}", "Reply: {category:category}"),
    "down.typhoon.title": ("【台风{signal:signal}预警】{title}", "[Typhoon {signal:signal} warning] {title}"),
    "down.training_pack.title": ("【学习资料】{title}", "[Study pack] {title}"),
    "down.training_start.title": ("【培训开始】{title}", "[Training starts] {title}"),
    "down.typhoon_recall.title": ("台风“{name}”撤离令", "Typhoon {name}: recall order"),
    "down.typhoon_recall.body": (
        "台风“{name}”来袭，请立即回港避风，人员上岸。",
        "Typhoon {name} is coming: return to harbour now to shelter, crew ashore.",
    ),
    "down.training_start.notice": (
        "培训现在开始，请全体船员参加并确认。", "Training starts now: all crew take part and confirm.",
    ),
    "exercise": ("【演练】{inner:phrase}", "[EXERCISE] {inner:phrase}"),
    "down.drill.distress.title": ("【演练】遇险报警演练", "[EXERCISE] Distress drill"),
    "down.drill.distress.body": (
        "这是演练，不是真实报警。请船长按实际流程在终端上发出遇险报警（终端会标记为演练），并等待岸基的各阶段回复。",
        "This is a drill, not a real alarm. Skipper: raise the distress on the terminal as you would for real (it is marked as a drill) and follow the shore's replies.",
    ),
    "down.drill.man_overboard.title": ("【演练】人员落水演练", "[EXERCISE] Man overboard drill"),
    "down.drill.man_overboard.body": (
        "这是演练，不是真实报警。请按人员落水程序操作，并在终端上发出“人员落水”报警（标记为演练）。",
        "This is a drill, not a real alarm. Follow the man-overboard procedure and raise a man-overboard alarm on the terminal (marked as a drill).",
    ),
    # values within a SITREP (its fixed bilingual frame is seaLink.domain.rescue.sitrep)
    "sitrep.assistance.tasked": ("已指派 {vessels}", "Tasked: {vessels}"),
    "sitrep.assistance.vessel": ("{vessel}（{state:delivery}）", "{vessel} ({state:delivery})"),
    "sitrep.assistance.none": (
        "请求附近渔船及海上搜救中心（12395）支援",
        "Asking boats nearby and the maritime rescue centre (12395) for help",
    ),
    "sitrep.coordinating_centre": ("{desk} / SeaLink 值班 {actor}", "{desk} / SeaLink duty officer {actor}"),
    # a distress as a CAP alert (for emergency systems)
    "cap.sender_name": ("SeaLink 南澳县渔船安全联络中心", "SeaLink Nan'ao County fishing-vessel safety centre"),
    "cap.event": ("渔船遇险", "Fishing vessel in distress"),
    "cap.headline": ("{vessel} {nature:nature}，{persons}人待救", "{vessel}: {nature:nature}, {persons} to rescue"),
    "cap.headline.unknown": (
        "{vessel} {nature:nature}，若干人待救", "{vessel}: {nature:nature}, persons to rescue unknown",
    ),
    "cap.description": (
        "{vessel}（MMSI {mmsi:phrase}）于 {where:pos} 报告{nature:nature}，船上 {persons:count} 人。",
        "{vessel} (MMSI {mmsi:phrase}) reports {nature:nature} at {where:pos}, {persons:count} aboard.",
    ),
    "cap.instruction": (
        "附近船舶请前往救援并与南澳县渔业应急办联系；海上搜救电话 12395。",
        "Vessels nearby: go to assist and contact the Nan'ao County fisheries emergency desk; "
        "maritime search and rescue: 12395.",
    ),
    "cap.area": ("{vessel} 遇险位置附近 {km} 公里", "Within {km} km of where {vessel} is in distress"),
    # group robots (a group chat's readers are mixed: the link is labelled in every language)
    "robot.open_link": ("打开告警并确认", "Open and acknowledge"),
    # names the hub gives
    "user.admin": ("管理员", "Administrator"),
    # small words the renderer needs
    "none": ("无", "none"),
    "count.unknown": ("不详", "unknown"),
    "persons": ("船上 {n} 人", "{n} aboard"),
    "persons.unknown": ("船上人数不详", "persons aboard unknown"),
    "pos.unknown": ("位置不明", "position unknown"),
    "pos.last_known": ("{where:pos}（最后已知位置）", "{where:pos} (last known position)"),
    "time.never": ("从未", "never"),
    "age.future": ("稍后", "in the future"),
    "age.seconds": ("{n} 秒前", "{n} s ago"),
    "age.minutes": ("{n} 分钟前", "{n} min ago"),
    "age.hours": ("{n} 小时前", "{n} h ago"),
    "age.days": ("{n} 天前", "{n} days ago"),
    "suffix": ("：{value}", ": {value}"),
    "eta": ("，预计 {n} 分钟到达", ", ETA {n} min"),
    "list.sep": ("、", ", "),
}  # fmt: skip
