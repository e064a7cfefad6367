"""What the recordings pages say, in Simplified Chinese and English (zh, en)."""

from __future__ import annotations

TEXT = {
    "recordings": ("通话录音", "Recordings"),
    "search": ("查询", "Search"),
    "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"),
    "agent": ("坐席", "Agent"),
    "customer": ("客户", "Customer"),
    "service": ("业务", "Service"),
    "disposition": ("处理结果", "Disposition"),
    "min_seconds": ("最短(秒)", "Min (s)"),
    "max_seconds": ("最长(秒)", "Max (s)"),
    "words": ("转写关键词", "Transcript words"),
    "started": ("开始时间", "Started"),
    "duration": ("时长", "Duration"),
    "caller": ("主叫号码", "Caller"),
    "transcript": ("转写", "Transcript"),
    "no_results": ("没有找到通话", "No calls found"),
    "segments": ("录音分段", "Segments"),
    "segment": ("分段", "Segment"),
    "paused": ("暂停录音(静音)", "Recording paused (silent)"),
    "no_transcript": ("尚无转写", "No transcript yet"),
    "scorecard": ("质检评分表", "Scorecard"),
    "save_draft": ("保存草稿", "Save draft"),
    "submit": ("提交评分", "Submit"),
    "evaluations": ("质检评分", "Evaluations"),
    "evaluator": ("质检员", "Evaluator"),
    "score": ("得分", "Score"),
    "fatal": ("致命项", "Fatal"),
    "status": ("状态", "Status"),
    "status_draft": ("草稿", "draft"),
    "status_submitted": ("已提交(锁定)", "submitted (locked)"),
    "amend": ("修订", "Amend"),
    "amendments": ("修订记录", "Amendments"),
    "reason": ("原因", "Reason"),
    "comment": ("评语", "Comment"),
    "my_scores": ("我的质检得分", "My QA scores"),
    "scores": ("质检得分趋势", "QA scores over time"),
    "calibration": ("校准", "Calibration"),
    "agreement": ("一致率", "Agreement"),
    "yes": ("是", "yes"),
    "partial": ("部分", "partial"),
    "no": ("否", "no"),
    "na": ("不适用", "n/a"),
    "legal_hold": ("法律保全", "Legal hold"),
    "play": ("播放", "Play"),
    "day": ("日期", "Day"),
    "average": ("平均分", "Average"),
    "count": ("数量", "Count"),
    "saved": ("已保存", "Saved"),
    "forbidden": ("无权访问", "Not allowed"),
    "stt_title": ("关于通话转写", "About transcripts"),
    "stt_no_model": (
        "通话转写需要语音识别模型（Vosk），本站尚未配置，所以不会出现转写。"
        "添加方法：下载中文模型（如 vosk-model-small-cn-0.22）和英文模型"
        "（如 vosk-model-small-en-us-0.15），解压到服务器上，然后在 {config} 中写："
        "models: {{zh: /opt/vosk/vosk-model-small-cn-0.22, "
        "en: /opt/vosk/vosk-model-small-en-us-0.15}}，"
        "重启后新录音会自动转写。",
        "Transcripts need a speech model (Vosk), and none is configured here, so no "
        "transcript will appear. To add one: download a Chinese model (e.g. "
        "vosk-model-small-cn-0.22) and an English one (e.g. vosk-model-small-en-us-0.15), "
        "unpack them on the server, and set in {config}: models: {{zh: "
        "/opt/vosk/vosk-model-small-cn-0.22, en: /opt/vosk/vosk-model-small-en-us-0.15}}. "
        "After a restart new recordings are transcribed.",
    ),
    "stt_missing": (
        "已配置语音识别模型，但找不到模型目录：{paths}。请把模型解压到该位置，或在 {config} "
        "中修改 models 路径。",
        "A speech model is configured but its folder is missing: {paths}. Unpack the model "
        "there, or change the models paths in {config}.",
    ),
    "stt_off": (
        "本站已关闭通话转写（{config} 中 transcribe: false）。",
        "Transcription is switched off here (transcribe: false in {config}).",
    ),
}
