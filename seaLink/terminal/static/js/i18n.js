// Chinese first; the English switch is remembered on the tablet.

const STRINGS = {
  zh: {
    vessel: "船号", queued: "待发送", inbox: "消息", inboxEmpty: "暂无消息", sos: "求救",
    requestShort: "求助", positionShort: "位置", distress: "遇险求救", nature: "遇险情况",
    persons: "船上人数", holdToSend: "按住 2 秒发出求救", holdHint: "误触不会发出：必须按住直到按钮变满",
    cancelDistress: "误报，取消求救", distressDone: "完成", request: "求助 / 反映问题", category: "类别",
    requestText: "说明", send: "发送", position: "本船位置", source: "来源：", lastReport: "上次报告：",
    reportNow: "立即报告位置", enterPosition: "手动输入位置（WGS-84 度）", lat: "纬度", lon: "经度",
    usePosition: "使用此位置", other: "English",
    "link.connecting": "正在连接", "link.online": "已连接", "link.reconnecting": "连接中断，正在重连",
    confirm: "确认收到", confirmed: "已确认", queuedMark: "待发送", issued: "发布",
    "kind.notice": "通知", "kind.warning": "警报", "kind.training": "培训", "kind.rescue_task": "救援任务",
    "kind.reply": "回复", "kind.distress_ack": "求救回执", "kind.ping": "测试",
    "recall.returning": "正在返港", "recall.sheltering": "在他港避风", "recall.in_port": "已在港",
    accept: "接受任务", decline: "无法前往", etaMin: "预计到达（分钟）", accepted: "已接受", declined: "已拒绝",
    "nature.fire": "火灾", "nature.flooding": "进水", "nature.collision": "碰撞", "nature.grounding": "搁浅",
    "nature.listing": "倾斜", "nature.sinking": "沉没", "nature.adrift": "失去动力",
    "nature.man_overboard": "有人落水", "nature.piracy": "海盗", "nature.abandoning": "弃船",
    "nature.medical": "急病受伤", "nature.undesignated": "其他危险",
    "category.equipment": "设备故障", "category.medical": "医疗", "category.supplies": "补给",
    "category.weather": "天气", "category.policy": "政策咨询", "category.legal": "法律", "category.other": "其他",
    "distress.sending": "求救已发出，等待岸基回复", "distress.acked": "岸基系统已自动收到求救，正在通知值班员",
    "distress.cancelSent": "已申请取消求救，等待岸基确认", "distress.cancelAcked": "岸基已收到取消申请",
    sentTimes: "已发送次数", confirmCancel: "确定是误报吗？将通知岸基取消求救。", cancelReason: "误触报警按钮",
    "request.queued": "待发送", "request.sent": "已送达", "src.gnss": "卫星定位", "src.manual": "手动输入（非本机定位）",
    "src.config": "手动输入（安装时设定，非本机定位）", "src.none": "无位置", badPosition: "纬度应在 -90 到 90，经度在 -180 到 180",
    noPosition: "没有位置：请手动输入", needText: "请写上说明", beijing: "北京时间", scene: "现场位置",
    crewNames: "参加的船员姓名（用逗号分开）",
    "distress.seen": "值班员已看到您的求救", "distress.organised": "救援已组织，正在赶来",
    "distress.closed": "报警已结案",
    "stage.sent": "求救已发出：{time}（已发送 {n} 次）", "stage.waitReceipt": "等待岸基系统回执…",
    "stage.received": "岸基系统已自动收到：{time}", "stage.waitSeen": "正在通知值班员，等待值班员查看…",
    "stage.seen": "值班员 {by} 已于 {time} 看到您的报警", "stage.waitOrganised": "正在组织救援…",
    "stage.organised": "救援已组织：{helper} 正在前往，预计 {eta} 分钟到达",
    "stage.organisedNoEta": "救援已组织：{helper} 正在前往", "stage.closed": "岸基已结案：{outcome}（{time}）",
    "outcome.rescued": "已救援", "outcome.false_alarm": "误报", "outcome.contact_restored": "恢复联络",
    "outcome.other": "其他", exercise: "演练", "kind.distress_status": "求救进展", "kind.drill": "演练",
    "drill.banner": "演练进行中：此期间发出的求救都标为演练（至北京时间 {time}）",
    holdToSendDrill: "按住 2 秒发出演练求救", personsRegistry: "登记在册：{n} 人（可按实际调整）",
    whereFix: "将发送的位置：{pos}（{src}）", whereNone: "没有位置：请到“位置”页手动输入",
    notOwnFix: "这不是本机卫星定位：请核实后再使用", manualNote: "位置为手动输入，非卫星定位",
    portReport: "进出港报告", portName: "港口（可不填，按位置确定）", "port.reportOut": "报告出港",
    "port.reportIn": "报告进港", "port.out": "出港", "port.in": "进港", "port.persons": "{n} 人",
    "port.byPosition": "按位置", "port.badPersons": "船上人数应为 0 到 500 的整数",
    "port.needWhere": "请填写港口名称，或先在上方确定本船位置",
  },
  en: {
    vessel: "Vessel", queued: "Queued", inbox: "Messages", inboxEmpty: "No messages", sos: "SOS",
    requestShort: "Request", positionShort: "Position", distress: "Distress", nature: "What is wrong",
    persons: "Persons aboard", holdToSend: "Hold 2 s to send distress", holdHint: "A touch does nothing: hold until the button is full",
    cancelDistress: "False alarm: cancel", distressDone: "Done", request: "Request / report a problem",
    category: "Category", requestText: "Details", send: "Send", position: "Own position", source: "Source: ",
    lastReport: "Last report: ", reportNow: "Report position now", enterPosition: "Enter position (WGS-84 degrees)",
    lat: "Latitude", lon: "Longitude", usePosition: "Use this position", other: "中文",
    "link.connecting": "Connecting", "link.online": "Connected", "link.reconnecting": "Link lost, reconnecting",
    confirm: "Confirm", confirmed: "Confirmed", queuedMark: "queued", issued: "Issued",
    "kind.notice": "Notice", "kind.warning": "Warning", "kind.training": "Training", "kind.rescue_task": "Rescue task",
    "kind.reply": "Reply", "kind.distress_ack": "Distress receipt", "kind.ping": "Test",
    "recall.returning": "Returning to port", "recall.sheltering": "Sheltering elsewhere", "recall.in_port": "In port",
    accept: "Accept task", decline: "Cannot go", etaMin: "ETA (minutes)", accepted: "Accepted", declined: "Declined",
    "nature.fire": "Fire", "nature.flooding": "Flooding", "nature.collision": "Collision", "nature.grounding": "Grounding",
    "nature.listing": "Listing", "nature.sinking": "Sinking", "nature.adrift": "Adrift",
    "nature.man_overboard": "Man overboard", "nature.piracy": "Piracy", "nature.abandoning": "Abandoning ship",
    "nature.medical": "Medical", "nature.undesignated": "Other danger",
    "category.equipment": "Equipment", "category.medical": "Medical", "category.supplies": "Supplies",
    "category.weather": "Weather", "category.policy": "Policy", "category.legal": "Legal", "category.other": "Other",
    "distress.sending": "Distress sent, waiting for the shore", "distress.acked": "The shore system has your distress (automatic); the duty officer is being alerted",
    "distress.cancelSent": "Cancellation sent, waiting for the shore", "distress.cancelAcked": "Shore has your cancellation",
    sentTimes: "Times sent", confirmCancel: "Is it a false alarm? The shore will be told to cancel.", cancelReason: "误触报警按钮",
    "request.queued": "queued", "request.sent": "delivered", "src.gnss": "GNSS", "src.manual": "entered by hand (not this tablet's fix)",
    "src.config": "entered by hand at set-up (not this tablet's fix)", "src.none": "none", badPosition: "Latitude must be -90..90, longitude -180..180",
    noPosition: "No position: enter one by hand", needText: "Please write the details", beijing: "Beijing time", scene: "Scene",
    crewNames: "Crew taking part (names, comma separated)",
    "distress.seen": "The duty officer has seen your distress", "distress.organised": "Help is organised and on its way",
    "distress.closed": "Your distress is closed",
    "stage.sent": "Distress sent at {time} ({n} times)", "stage.waitReceipt": "Waiting for the shore system's receipt…",
    "stage.received": "Received by the shore system (automatic) at {time}",
    "stage.waitSeen": "The duty officer is being alerted…",
    "stage.seen": "Seen by the duty officer {by} at {time}", "stage.waitOrganised": "Help is being organised…",
    "stage.organised": "Rescue organised: {helper} on its way, ETA {eta} min",
    "stage.organisedNoEta": "Rescue organised: {helper} on its way", "stage.closed": "Closed by the shore: {outcome} ({time})",
    "outcome.rescued": "rescued", "outcome.false_alarm": "false alarm", "outcome.contact_restored": "contact restored",
    "outcome.other": "other", exercise: "EXERCISE", "kind.distress_status": "Distress progress", "kind.drill": "Drill",
    "drill.banner": "Drill in force: a distress sent now is marked as a drill (until {time} Beijing time)",
    holdToSendDrill: "Hold 2 s to send the drill distress", personsRegistry: "Registered: {n} aboard (change if not so)",
    whereFix: "Position to be sent: {pos} ({src})", whereNone: "No position: enter one on the Position screen",
    notOwnFix: "Not this tablet's own fix: check it before use", manualNote: "位置为手动输入，非卫星定位",
    portReport: "Port entry / exit report", portName: "Port (may be left empty: found from the position)",
    "port.reportOut": "Report leaving port", "port.reportIn": "Report entering port", "port.out": "Left",
    "port.in": "Entered", "port.persons": "{n} aboard", "port.byPosition": "by position",
    "port.badPersons": "Persons aboard must be a whole number from 0 to 500",
    "port.needWhere": "Name the port, or set the boat's position above first",
  },
};

const KEY = "sealink-terminal:lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "zh";

export function t(key) {
  return STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
}

/** A text with its {placeholders} filled. */
export function tf(key, params) {
  return t(key).replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

export function currentLang() {
  return lang;
}

export function toggleLang() {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem(KEY, lang);
  applyStatic();
}

/** Fill every element marked data-i18n; dynamic parts re-render themselves. */
export function applyStatic() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  document.getElementById("lang").textContent = t("other");
}
