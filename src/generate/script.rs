//! What people say on the generated calls: phrase pools per language and queue.
//!
//! Each agent line has a polite and a curt form; fatigue shifts the mix towards the curt one,
//! which is how the planted friendliness effect shows up in the transcripts.

/// A line that can be said politely or curtly.
pub(super) struct Line {
    pub polite: &'static str,
    pub curt: &'static str,
}

/// Phrases of one language.
pub(super) struct Phrases {
    pub greeting: &'static [&'static str],
    pub greeting_skipped: &'static [&'static str],
    pub restate: &'static [Line],
    pub confirm: &'static [&'static str],
    pub verify: &'static [Line],
    pub verify_answer: &'static [&'static str],
    pub noisy_customer: &'static [&'static str],
    pub noisy_agent: &'static [&'static str],
    pub hold_notice: &'static [Line],
    pub hold_back: &'static [Line],
    pub small_talk_agent: &'static [Line],
    pub small_talk_customer: &'static [&'static str],
    pub angry: &'static [&'static str],
    pub apology: &'static [Line],
    pub thanks: &'static [&'static str],
    pub promise: &'static [&'static str],
    pub anything_else: &'static [Line],
    pub nothing_else: &'static [&'static str],
    pub goodbye: &'static [Line],
    pub survey_good: &'static [&'static str],
    pub survey_bad: &'static [&'static str],
}

/// Queue-specific content: the need as the customer says it, and the solution.
pub(super) struct QueueScript {
    pub needs: &'static [&'static str],
    pub solutions: &'static [Line],
    /// Billing only: the answer under the old policy (wrong after the policy change).
    pub old_policy: &'static [&'static str],
}

macro_rules! line {
    ($p:expr, $c:expr) => {
        Line {
            polite: $p,
            curt: $c,
        }
    };
}

pub(super) static ZH: Phrases = Phrases {
    greeting: &[
        "您好，这里是星河通信客服中心，工号{id}，很高兴为您服务。",
        "您好，欢迎致电星河通信，我是客服{id}号，请问有什么可以帮您？",
    ],
    greeting_skipped: &["喂，说吧。", "喂，什么事？"],
    restate: &[
        line!("好的，您是说{need}，我理解得对吗？", "你是说{need}？"),
        line!("明白，您的问题是{need}，对吧？", "就是{need}是吧。"),
    ],
    confirm: &["对，就是这个问题。", "是的，没错。", "嗯，对。"],
    verify: &[
        line!(
            "为了核实身份，请问您的联系电话是{phone}吗？",
            "电话{phone}？"
        ),
        line!(
            "麻烦您确认一下预留的手机号码，是{phone}吗？",
            "手机号{phone}对吧。"
        ),
    ],
    verify_answer: &["是的，是这个号码。", "对，{phone}。"],
    noisy_customer: &[
        "喂？喂？听不清，您能再说一遍吗？",
        "信号不好，刚才没听清楚。",
    ],
    noisy_agent: &["好的，我再重复一遍。", "不好意思，我再说一次。"],
    hold_notice: &[
        line!("请您稍等，我帮您查询一下。", "等一下，我查查。"),
        line!("麻烦您稍等片刻，我为您核实一下。", "等会儿。"),
    ],
    hold_back: &[
        line!("感谢您的耐心等待。", "查到了。"),
        line!("让您久等了，已经帮您查到了。", "好了。"),
    ],
    small_talk_agent: &[
        line!("请问这个情况是从什么时候开始的？", "什么时候开始的？"),
        line!("好的，我这边记录一下，请您放心。", "记下了。"),
        line!("您看这样处理可以吗？", "就这样吧。"),
        line!("我再跟您确认一下具体的情况。", "还有呢？"),
    ],
    small_talk_customer: &[
        "大概是上周开始的。",
        "我之前也打过一次电话，说会处理的。",
        "好的，那你们尽快处理吧。",
        "嗯，可以的。",
        "我就想知道什么时候能解决。",
        "这个月的账单比平时多了不少。",
    ],
    angry: &[
        "你们这是什么服务态度！我要投诉！",
        "我已经打了三次电话了，到现在都没解决，太让人失望了！",
        "再不解决我就打12315投诉你们！",
        "你们就是骗子，我要曝光你们！",
    ],
    apology: &[
        line!("非常抱歉给您带来不便，我马上为您处理。", "这个我也没办法。"),
        line!("真的很抱歉，我理解您的心情。", "你别急。"),
    ],
    thanks: &["好的，谢谢你。", "行，谢谢。", "那太好了，谢谢！"],
    promise: &[
        "您放心，我保证一定给您全额退款。",
        "我向您保证，明天之前肯定到账。",
    ],
    anything_else: &[
        line!("请问还有什么可以帮您的吗？", "还有事吗？"),
        line!("请问还有其他问题需要咨询吗？", "没别的了吧？"),
    ],
    nothing_else: &["没有了，谢谢。", "没了。"],
    goodbye: &[
        line!("感谢您的来电，祝您生活愉快，再见！", "好，再见。"),
        line!(
            "感谢您的耐心，稍后可能邀请您对本次服务进行评价，再见。",
            "挂了。"
        ),
    ],
    survey_good: &[
        "客服很耐心，问题解决了。",
        "服务态度很好，谢谢。",
        "处理很快，满意。",
    ],
    survey_bad: &[
        "等了很久也没解决。",
        "客服态度差。",
        "问题还是没有解决，很失望。",
    ],
};

pub(super) static EN: Phrases = Phrases {
    greeting: &[
        "Thank you for calling Starriver Telecom, my name is {name}, how can I help you today?",
        "Hello, this is {name} with Starriver customer service, how may I help you?",
    ],
    greeting_skipped: &["Yeah, hello.", "Go ahead."],
    restate: &[
        line!(
            "So if I understand correctly, {need}, is that right?",
            "So {need}."
        ),
        line!("Let me make sure I got this right: {need}.", "Ok, {need}."),
    ],
    confirm: &["Yes, exactly.", "That's right.", "Yeah."],
    verify: &[
        line!(
            "For security, can you please confirm your contact number, is it {phone}?",
            "Number {phone}?"
        ),
        line!(
            "Could you please confirm the phone number on the account, {phone}?",
            "Phone {phone}, right?"
        ),
    ],
    verify_answer: &["Yes, that's my number.", "Yes, {phone}."],
    noisy_customer: &[
        "Sorry, the line is really bad, can you repeat that?",
        "Hello? I can't hear you very well.",
    ],
    noisy_agent: &[
        "Of course, let me repeat that.",
        "Sorry about that, I'll say it again.",
    ],
    hold_notice: &[
        line!(
            "Please hold for a moment while I check that for you.",
            "Hold on."
        ),
        line!(
            "Let me put you on a brief hold while I look into this.",
            "Wait a sec."
        ),
    ],
    hold_back: &[
        line!("Thank you for your patience.", "Ok, back."),
        line!("Thanks for holding, I have the details now.", "Right."),
    ],
    small_talk_agent: &[
        line!("Could you tell me when this started?", "When did it start?"),
        line!("Thank you, I have noted that down for you.", "Noted."),
        line!("Would that work for you?", "That's it."),
        line!(
            "Let me just double check the details with you.",
            "Anything else on that?"
        ),
    ],
    small_talk_customer: &[
        "It started last week.",
        "I already called once and was told it would be fixed.",
        "Ok, please sort it out as soon as possible.",
        "Sure, that works.",
        "I just want to know when it will be fixed.",
        "My bill this month is much higher than usual.",
    ],
    angry: &[
        "This is ridiculous, I want to speak to a manager!",
        "I have called three times already and nobody fixed it, this is terrible service!",
        "I'm going to file a complaint, this is unacceptable!",
        "You people are useless, I will report you!",
    ],
    apology: &[
        line!(
            "I'm really sorry for the trouble, I'll take care of it right away.",
            "Nothing I can do about that."
        ),
        line!(
            "I completely understand your frustration, I apologize.",
            "Calm down."
        ),
    ],
    thanks: &[
        "Great, thank you so much.",
        "Ok, thanks.",
        "That's perfect, thanks!",
    ],
    promise: &[
        "Don't worry, I guarantee you'll get a full refund.",
        "I promise it will be fixed by tomorrow, guaranteed.",
    ],
    anything_else: &[
        line!(
            "Is there anything else I can help you with today?",
            "Anything else?"
        ),
        line!("Is there anything else you need?", "That all?"),
    ],
    nothing_else: &["No, that's all, thanks.", "Nope."],
    goodbye: &[
        line!("Thank you for calling, have a great day!", "Bye."),
        line!(
            "Thanks for your patience, you may receive a short survey. Goodbye!",
            "Ok bye."
        ),
    ],
    survey_good: &[
        "The agent was patient and solved my issue.",
        "Great service, thank you.",
        "Quick and helpful.",
    ],
    survey_bad: &[
        "Waited forever and nothing was fixed.",
        "The agent was rude.",
        "Still not resolved, very disappointed.",
    ],
};

/// Queue scripts, in the order of [`super::QUEUES`].
pub(super) static ZH_QUEUES: [QueueScript; 6] = [
    QueueScript {
        needs: &[
            "我这个月的话费扣多了",
            "我想申请退款",
            "账单上有一笔不认识的费用",
        ],
        solutions: &[
            line!(
                "按照新规定，多扣的费用会在3个工作日内退回您的账户。",
                "3个工作日退回。"
            ),
            line!(
                "已经为您提交退款申请，新政策下3个工作日内到账。",
                "退款提交了，3天。"
            ),
        ],
        old_policy: &[
            "按照原来的规定，退款需要7个工作日，还要先交纸质申请。",
            "这个要按老规定走，7个工作日以后再说。",
        ],
    },
    QueueScript {
        needs: &[
            "我家宽带一直断线",
            "手机上不了网",
            "路由器指示灯一直是红色的",
        ],
        solutions: &[
            line!(
                "我已经帮您远程重置了端口，请您重启一下路由器试试。",
                "重启路由器。"
            ),
            line!(
                "已经为您预约了师傅明天上门检修，请您留意电话。",
                "明天上门。"
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "我想了解一下新的套餐",
            "有没有更便宜的流量包",
            "我想升级宽带",
        ],
        solutions: &[
            line!(
                "推荐您办理59元的畅享套餐，流量和通话都更划算。",
                "办59的套餐。"
            ),
            line!(
                "可以为您升级到500兆宽带，本月办理免安装费。",
                "可以升500兆。"
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "我要投诉你们的装维人员",
            "上次的问题到现在都没处理",
            "你们乱扣费我要投诉",
        ],
        solutions: &[
            line!(
                "您的投诉已经登记，工单号已经发送到您手机，48小时内会有专人回复您。",
                "登记了，等回复。"
            ),
            line!(
                "非常抱歉，我已经将您的问题升级处理，今天内会有主管联系您。",
                "升级了。"
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "我是你们的金卡会员，想办理国际漫游",
            "帮我查一下积分",
            "我的专属客户经理联系不上",
        ],
        solutions: &[
            line!("尊敬的会员，国际漫游已经为您开通，落地即可使用。", "开了。"),
            line!("您的积分是12800分，可以兑换话费或者礼品。", "12800分。"),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &["你们打电话来有什么事", "我之前是想取消套餐"],
        solutions: &[
            line!(
                "我们为老用户准备了续约优惠，续约一年每月减免20元。",
                "续约减20。"
            ),
            line!("如果您保留套餐，我们可以赠送您每月10G流量。", "送10G。"),
        ],
        old_policy: &[],
    },
];

/// Queue scripts in English, in the order of [`super::QUEUES`].
pub(super) static EN_QUEUES: [QueueScript; 6] = [
    QueueScript {
        needs: &[
            "I was overcharged on my bill this month",
            "I'd like a refund",
            "there is a charge on my bill I don't recognize",
        ],
        solutions: &[
            line!(
                "Under the new policy, the overcharge will be refunded to your account within 3 business days.",
                "Refund in 3 days."
            ),
            line!(
                "I've submitted the refund, and with the new policy it arrives within 3 business days.",
                "Refund's in."
            ),
        ],
        old_policy: &[
            "Under the old rules a refund takes 7 business days and needs a paper form.",
            "That's the old process, 7 business days.",
        ],
    },
    QueueScript {
        needs: &[
            "my internet keeps dropping",
            "my phone has no data",
            "the router light is red",
        ],
        solutions: &[
            line!(
                "I've reset your port remotely, please restart the router and try again.",
                "Restart the router."
            ),
            line!(
                "I've booked a technician visit for tomorrow, they will call you first.",
                "Tech comes tomorrow."
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "I want to hear about the new plans",
            "is there a cheaper data plan",
            "I'd like faster broadband",
        ],
        solutions: &[
            line!(
                "I'd recommend the 59 dollar unlimited plan, it saves you money on data and calls.",
                "Take the 59 plan."
            ),
            line!(
                "I can upgrade you to 500 megabit broadband with free installation this month.",
                "500 meg, free install."
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "I want to complain about your technician",
            "my last issue was never resolved",
            "you charged me for nothing and I want to complain",
        ],
        solutions: &[
            line!(
                "Your complaint is registered, the ticket number is on its way by text, and a specialist will reply within 48 hours.",
                "Logged it."
            ),
            line!(
                "I'm sorry, I've escalated this and a supervisor will call you today.",
                "Escalated."
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &[
            "I'm a gold member and need international roaming",
            "can you check my reward points",
            "I can't reach my account manager",
        ],
        solutions: &[
            line!(
                "Roaming is now active on your line, it works as soon as you land.",
                "Roaming's on."
            ),
            line!(
                "You have 12800 points, which you can use for bill credit or gifts.",
                "12800 points."
            ),
        ],
        old_policy: &[],
    },
    QueueScript {
        needs: &["why are you calling me", "I wanted to cancel my plan"],
        solutions: &[
            line!(
                "We have a loyalty offer: renew for a year and get 20 dollars off every month.",
                "Renew, 20 off."
            ),
            line!(
                "If you keep your plan we'll add 10 gigabytes of data every month for free.",
                "10 gigs free."
            ),
        ],
        old_policy: &[],
    },
];
