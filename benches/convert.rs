//! Throughput of OpenCC conversion and script detection on 16 MB of news-style text.
//!
//! The text is made by shuffling the sentences below (written for this benchmark) with a fixed
//! seed; the Traditional input is its s2t conversion. `cargo bench --bench convert`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zhfix::script::{converter, detect_script, Config};

const SENTENCES: &[&str] = &[
    "市政府昨天召开新闻发布会，介绍今年上半年经济运行情况。",
    "据统计，全市地区生产总值同比增长百分之五点二，高于全国平均水平。",
    "发言人表示，下半年将继续加大对中小企业的支持力度，进一步优化营商环境。",
    "记者从交通运输部门了解到，新建的地铁线路预计明年年底开通运营。",
    "这条线路全长三十二公里，共设车站二十四座，连接老城区和高新技术开发区。",
    "气象台发布暴雨黄色预警，提醒市民注意防范山洪和城市内涝。",
    "受强降雨影响，部分航班延误，铁路部门临时调整了列车运行图。",
    "教育局宣布，今年秋季学期将新增公办学位一万两千个。",
    "专家认为，人工智能技术的发展将深刻改变传统制造业的生产方式。",
    "该公司发布的财报显示，第三季度营业收入达到四百五十亿元，净利润增长一成。",
    "医院开设了夜间门诊，方便上班族在下班后就医。",
    "国家统计局公布的数据显示，居民消费价格指数同比上涨百分之零点八。",
    "图书馆周末举办读书分享会，吸引了众多市民参加。",
    "警方提醒，近期电信诈骗案件高发，请广大群众提高警惕，不要轻易向陌生人转账。",
    "农业农村部门组织专家深入田间地头，指导农民做好秋粮收获工作。",
    "博物馆新推出的文物特展展出了两百余件珍贵藏品，其中多件为首次公开亮相。",
    "足球联赛第二十轮比赛昨晚结束，主队以二比一战胜客队，暂列积分榜第一位。",
    "环保部门加强了对重点排污企业的监测，空气质量优良天数比例明显提高。",
    "The index rose 1.2% to 3,456.78 points on Monday, with 2,001 stocks advancing.",
    "软件开发者大会将于下个月在会议中心举行，届时将发布多款新产品。",
    "卫生健康委员会发布通知，要求各级医疗机构做好流感疫苗接种工作。",
    "银行下调了个人住房贷款利率，减轻购房者的还款负担。",
    "这家老字号餐馆已有一百多年历史，招牌菜是红烧肉和清蒸鱼。",
    "志愿者们在社区里为老年人提供免费理发、量血压等服务。",
    "他说：“我们会认真听取群众意见，把实事办好、把好事办实。”",
    "（完）责任编辑：王小明　２０２４年５月１日",
];

const TARGET_BYTES: usize = 16 << 20;

fn simplified_text() -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = String::with_capacity(TARGET_BYTES + 4096);
    while out.len() < TARGET_BYTES {
        // A fixed xorshift sequence: reproducible, no phrase order artefacts.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push_str(SENTENCES[(state % SENTENCES.len() as u64) as usize]);
        if state % 5 == 0 {
            out.push('\n');
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let simplified = simplified_text();
    let traditional = converter(Config::S2t).convert(&simplified).into_owned();
    let mut group = c.benchmark_group("convert");
    group.sample_size(10);
    for (config, input, label) in [
        (Config::S2t, &simplified, "s2t"),
        (Config::T2s, &traditional, "t2s"),
        (Config::S2tw, &simplified, "s2tw"),
        (Config::S2twp, &simplified, "s2twp"),
        (Config::S2hk, &simplified, "s2hk"),
        (Config::T2s, &simplified, "t2s_on_simplified"),
        (Config::S2t, &traditional, "s2t_on_traditional"),
    ] {
        let conv = converter(config);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(label, |b| b.iter(|| conv.convert(input).len()));
    }
    group.throughput(Throughput::Bytes(simplified.len() as u64));
    group.bench_function("detect_script", |b| {
        b.iter(|| detect_script(&simplified).simplified_only)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
