"""Messages of setting up: languages, settings, connecting, live-mode checks."""

MESSAGES: dict[str, dict[str, str]] = {
    "lang.unknown": {
        "en": "{source}={raw} is not a language of this course; use one of {allowed}.",
        "zh": "{source}={raw} 不是本课程支持的语言，请使用以下之一：{allowed}。",
    },
    "charts.no_chinese_font": {
        "en": "No font with Chinese characters is installed, so Chinese chart labels show as "
              "boxes; install one of {fonts} (Debian/Ubuntu: apt install fonts-noto-cjk) and "
              "restart the kernel.",
        "zh": "本机没有安装含中文字形的字体，图中的中文会显示成方框；请安装以下字体之一：{fonts}"
              "（Debian/Ubuntu：apt install fonts-noto-cjk），然后重启内核。",
    },
    # config.py: why a key cannot be used (key_problem), then the whole ConfigError
    "config.key.missing": {"en": "it is missing or empty", "zh": "没有设置或为空"},
    "config.key.whitespace": {
        "en": "it contains whitespace or a line break inside",
        "zh": "中间含有空格或换行",
    },
    "config.key.quote": {"en": "it contains a quote character inside", "zh": "中间含有引号"},
    "config.key.prefix": {"en": "it does not start with 'sk-'", "zh": "不是以 'sk-' 开头"},
    "config.key.shape": {
        "en": "after 'sk-' it must have at least 16 letters, digits, '-' or '_'",
        "zh": "'sk-' 之后至少要有 16 个字母、数字、'-' 或 '_'",
    },
    "config.key.why_live": {"en": "QWEN_MODE=live", "zh": "设置了 QWEN_MODE=live"},
    "config.key.why_auto": {
        "en": "a key is set, so QWEN_MODE=auto chose live mode",
        "zh": "设置了 API Key，所以 QWEN_MODE=auto 选择了在线模式",
    },
    "config.key.received_from_env": {
        "en": " (received {masked} from the environment)",
        "zh": "（收到的是 {masked}，来自环境变量）",
    },
    "config.key.received_from_file": {
        "en": " (received {masked} from {path})",
        "zh": "（收到的是 {masked}，来自 {path}）",
    },
    "config.key.no_dotenv": {
        "en": "No .env file was read (dotenv=False). Set it in the environment",
        "zh": "没有读取 .env 文件（dotenv=False）。请在环境变量中设置",
    },
    "config.key.dotenv_read": {
        "en": "The .env file read was {path}. Fix it there or in the environment",
        "zh": "读取的 .env 文件是 {path}。请在这个文件或环境变量中修正",
    },
    "config.key.copy_example": {"en": "copy {example}", "zh": "可以复制 {example}"},
    "config.key.see_example": {
        "en": "see .env.example in the project",
        "zh": "参考项目中的 .env.example",
    },
    "config.key.no_dotenv_found": {
        "en": "No .env file was found here or in any folder above. Create {path} ({copy}) or "
              "set it in the environment",
        "zh": "当前目录及所有上级目录中都没有 .env 文件。请创建 {path}（{copy}），或在环境变量中"
              "设置",
    },
    "config.key.unusable": {
        "en": "{why}, but {variable} cannot be used: {problem}{received}. {where} as "
              "{variable}=sk-… (surrounding spaces and quotes are stripped). Or use the local "
              "mock instead: set QWEN_MODE=mock.",
        "zh": "{why}，但 {variable} 无法使用：{problem}{received}。{where}，格式为 "
              "{variable}=sk-…（首尾的空格和引号会自动去掉）。也可以改用本地模拟服务："
              "设置 QWEN_MODE=mock。",
    },
    "config.mode_unknown": {
        "en": "QWEN_MODE={raw} is not a mode; use one of {allowed} (auto: live when "
              "DASHSCOPE_API_KEY is set, otherwise mock).",
        "zh": "QWEN_MODE={raw} 不是有效的模式，请使用以下之一：{allowed}（auto：设置了 "
              "DASHSCOPE_API_KEY 时为 live，否则为 mock）。",
    },
    "config.region_unknown": {
        "en": "DASHSCOPE_REGION={raw} is not a region this course supports; use one of "
              "{allowed} (the region your key was created in).",
        "zh": "DASHSCOPE_REGION={raw} 不是本课程支持的地域，请使用以下之一：{allowed}"
              "（即创建 API Key 时所在的地域）。",
    },
    "config.mock_url_bad": {
        "en": "{variable}={raw} is not the root URL of a mock; give scheme, host and port only, "
              "such as http://10.0.0.5:8765 (the paths /compatible-mode/v1 and /api/v1 are "
              "added), or unset it to start a mock inside the kernel.",
        "zh": "{variable}={raw} 不是模拟服务的根地址：只写协议、主机和端口，例如 "
              "http://10.0.0.5:8765（/compatible-mode/v1 和 /api/v1 会自动加上）；"
              "或者取消设置，在内核中启动本地模拟服务。",
    },
    "config.workspace_bad": {
        "en": "DASHSCOPE_WORKSPACE={raw} is not a workspace id: letters, digits, '-' and '_', "
              "up to 64, as the console shows it (or unset it to use the region's shared host).",
        "zh": "DASHSCOPE_WORKSPACE={raw} 不是业务空间 ID：应由字母、数字、'-' 和 '_' 组成，"
              "最多 64 个字符，与控制台显示的一致（或者取消设置，使用该地域的公共域名）。",
    },
    "config.time_scale_bad": {
        "en": "QWEN_TIME_SCALE={raw} is not a time scale; use a number above 0 and up to 100 "
              "(1 = real time, 0.05 = twenty times faster), or unset it.",
        "zh": "QWEN_TIME_SCALE={raw} 不是有效的时间倍率：请用大于 0、不超过 100 的数"
              "（1 为真实速度，0.05 为快 20 倍），或者取消设置。",
    },
    "config.model_retired": {
        "en": "QWEN_MODEL={model} was retired on {date} (Alibaba Cloud's notice, as read in "
              "{read_on}); use a current model such as {models}.",
        "zh": "QWEN_MODEL={model} 已于 {date} 下线（依据阿里云公告，{read_on} 查阅）；"
              "请改用当前模型，例如 {models}。",
    },
    # connect.py
    "connect.mock_unreachable": {
        "en": "QWEN_MOCK_URL={url} does not answer {url}/_mock/health within {timeout} s. Ask "
              "whoever runs it to start it with `python -m qwen_helpers.mock --host 0.0.0.0 "
              "--port 8765`, check the address, or unset QWEN_MOCK_URL to start a mock inside "
              "this kernel.",
        "zh": "QWEN_MOCK_URL={url} 指向的模拟服务在 {timeout} 秒内没有响应健康检查"
              "（{url}/_mock/health）。请让运行这个模拟服务的人用 "
              "`python -m qwen_helpers.mock --host 0.0.0.0 --port 8765` 启动它，并核对地址；"
              "或者取消设置 QWEN_MOCK_URL，在本内核中启动本地模拟服务。",
    },
    "connect.not_started": {
        "en": "(not started: call connect())",
        "zh": "（尚未启动：请先调用 connect()）",
    },
    # clients.py
    "clients.no_base_url": {
        "en": "these settings (mode={mode}) have no base URL yet: the mock starts in connect(). "
              "Use settings = connect() and pass those.",
        "zh": "这份设置（mode={mode}）还没有 base URL：模拟服务要到 connect() 时才启动。请使用 "
              "settings = connect() 返回的设置。",
    },
    "clients.retry_owner_unknown": {
        "en": "retry_owner={owner} is not allowed; use 'sdk' (the SDK's own max_retries) or "
              "'helper' (qwen_helpers.retry, with max_retries=0).",
        "zh": "retry_owner={owner} 无效：请用 'sdk'（由 SDK 按自己的 max_retries 重试）或 "
              "'helper'（由 qwen_helpers.retry 重试，SDK 的 max_retries=0）。",
    },
    "clients.max_retries_negative": {
        "en": "max_retries={max_retries} is negative; use 0 or more.",
        "zh": "max_retries={max_retries} 是负数，请用 0 或更大的数。",
    },
    "clients.retries_twice_over": {
        "en": "retry_owner='helper' with max_retries={max_retries} would retry twice over (each "
              "helper attempt would make up to max_retries+1 requests). Drop max_retries to let "
              "qwen_helpers.retry retry alone, or use retry_owner='sdk' without the helper.",
        "zh": "retry_owner='helper' 同时设置 max_retries={max_retries} 会重复重试（helper 的每次"
              "尝试都会发出最多 max_retries+1 个请求）。去掉 max_retries，只让 qwen_helpers.retry "
              "重试；或者用 retry_owner='sdk'，不再套 helper。",
    },
    "clients.protocol_unknown": {
        "en": "protocol={protocol} is not supported here; use 'native' (/api/v1) or 'openai' "
              "(/compatible-mode/v1).",
        "zh": "这里不支持 protocol={protocol}：请用 'native'（/api/v1）或 'openai'"
              "（/compatible-mode/v1）。",
    },
    # live.py: the line connect() prints when live mode cannot work
    "live.go_offline_at_root": {
        "en": "To learn offline instead, put QWEN_MODE=mock in a .env file at the project's root "
              "and restart the kernel.",
        "zh": "如果想改用离线模式学习，请在项目根目录下的 .env 文件中写入 QWEN_MODE=mock，然后"
              "重启内核。",
    },
    "live.go_offline_in": {
        "en": "To learn offline instead, put QWEN_MODE=mock in {path} and restart the kernel.",
        "zh": "如果想改用离线模式学习，请在 {path} 中写入 QWEN_MODE=mock，然后重启内核。",
    },
    "live.go_offline_new": {
        "en": "To learn offline instead, put QWEN_MODE=mock in {path} (a new file, beside "
              ".env.example) and restart the kernel.",
        "zh": "如果想改用离线模式学习，请新建 {path}（与 .env.example 放在同一目录），写入 "
              "QWEN_MODE=mock，然后重启内核。",
    },
    "live.no_answer_within": {
        "en": "no answer within {timeout} s",
        "zh": "等待 {timeout} 秒后超时",
    },
    "live.unreachable": {
        "en": "✗ live mode: {host} did not answer ({detail}). Check the network or proxy, and "
              "that DASHSCOPE_REGION={region} is your key's region (others: {others}). {mock}",
        "zh": "✗ 在线模式：{host} 没有响应（{detail}）。请检查网络或代理，并确认 "
              "DASHSCOPE_REGION={region} 是你的 API Key 所在的地域（其他地域：{others}）。{mock}",
    },
    "live.refused": {
        "en": "✗ live mode: {host} refused the key ({detail}). Check DASHSCOPE_API_KEY (a key "
              "works only in the region it was created in; DASHSCOPE_REGION={region} now). {mock}",
        "zh": "✗ 在线模式：{host} 拒绝了这个 API Key（{detail}）。请检查 DASHSCOPE_API_KEY"
              "（API Key 只能在创建它的地域使用；当前 DASHSCOPE_REGION={region}）。{mock}",
    },
    "live.model_unlisted": {
        "en": "✗ live mode: the service does not list the model {model}. Set QWEN_MODEL to one "
              "it lists, such as {listed} ({count} in all: client.models.list()).",
        "zh": "✗ 在线模式：服务的模型列表中没有 {model}。请把 QWEN_MODEL 设为列表中的模型，例如 "
              "{listed}（共 {count} 个：client.models.list()）。",
    },
    # notebook_errors.py: the short error a notebook cell shows
    "notebook.earlier_cell_failed": {
        "en": "An earlier cell failed before it could set this name. {note}",
        "zh": "前面某个单元格在给这个名字赋值之前就出错了。{note}",
    },
    "notebook.what_it_means": {"en": "What it means: {reading}", "zh": "含义：{reading}"},
    "notebook.full_traceback": {
        "en": "(The full traceback: run %tb in a new cell.)",
        "zh": "（查看完整的 traceback：在新单元格中运行 %tb。）",
    },
}
