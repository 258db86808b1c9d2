"""Patient-facing content for the catalog: treatment pages and condition pages.

Written for patients in plain words. Only empty bodies are filled, so re-running against a
database whose copy admins already edited changes nothing; admins own the text afterwards.
"""

import datetime

from django.db import migrations

REVIEWED_ON = datetime.date(2026, 11, 22)

# slug -> (meta description, Markdown body)
TREATMENT_CONTENT = {
    "spinal-hardware-removal": (
        "Why screws, rods or plates from an earlier spine operation are sometimes taken out, how to prepare, what happens during surgery and how recovery goes.",
        """\
Screws, rods, plates and cages hold the spine still while a fusion heals. Most people keep this hardware for life without ever noticing it, and it does not need to come out just because the bone has healed. Removal is considered only when the hardware itself is part of the problem.

## What it treats

A surgeon may suggest taking hardware out, or replacing it, when:

- **the fusion did not heal** (a non-union or pseudarthrosis), so the spine still moves where it should not and the metal is under strain;
- **a screw or rod has broken or loosened**, which can cause pain or let the spine shift;
- **hardware sits in the wrong place or stands out**, rubbing on a nerve, a tendon or the skin, which is more noticeable in slim people;
- **there is an infection** around the implants that antibiotics alone cannot clear.

Pain can come from many sources after spine surgery, so your specialist will first check that the hardware is really the cause. Imaging such as X-rays or a CT scan, and sometimes a diagnostic injection, help answer that question. If you are still in pain after a fusion, read about [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/).

## How to prepare

Your surgical team will give you instructions written for you. They commonly include:

- **Stop smoking.** Nicotine slows bone and wound healing. You will be asked to stop for a period before and after surgery.
- **Review your medicines.** Some medicines and supplements, such as blood thinners, aspirin, anti-inflammatories and fish oil, raise the risk of bleeding. Your team will tell you which to pause and for how long; do not stop a prescribed medicine on your own.
- **Fast before surgery.** You will be told when to stop eating and drinking, usually some hours before the operation.
- **Arrange a ride and some help at home.** You will not be able to drive yourself home.

## The procedure

Hardware removal is done under general anesthesia. The surgeon usually reopens the original incision, clears away the scar tissue that has grown over the implants and checks whether the bones have fused.

- If the fusion is solid, the screws and rods are simply taken out.
- If the fusion has not healed, the surgeon may fit new hardware and add bone graft in the same operation, so that a separate [revision surgery](/treatments/revision-spine-surgery/) is not needed later.
- If there is an infection, tissue samples are taken so the right antibiotic can be chosen.

The incision is closed and you are watched in a recovery area for a few hours. Depending on how much was done, you may go home the same day or stay in the hospital for a night or more.

## Recovery

Recovery depends on the extent of the operation and differs from person to person. Your surgeon will tell you when it is safe to go back to work, drive and exercise.

- Pain medicine is prescribed for the first days; a cold pack on the area can also help.
- Short, gentle walks usually start soon after surgery.
- Keep following the instructions even once you feel better: lifting or twisting too early can cause injury and slow healing.
- If new hardware was placed, recovery is closer to that of a [spinal fusion](/treatments/spinal-fusion/), and [physical therapy](/treatments/physical-therapy/) often follows.

Call your surgeon promptly if you develop a fever, redness or discharge at the wound, new weakness or numbness, or pain that keeps getting worse.
""",
    ),
    "revision-spine-surgery": (
        "Revision spine surgery corrects a problem left by an earlier back or neck operation. What it can fix, how to prepare, the operation and recovery.",
        """\
Revision spine surgery is a second (or later) operation on part of the spine that has already been operated on. Its goal is to correct a specific, identifiable problem that is causing pain or loss of function. It is usually more involved than the first surgery, because the surgeon works through scar tissue and around earlier work, so it is offered only when the cause of the symptoms is clear.

## What it treats

Revision surgery may help when tests show, for example:

- **a fusion that did not heal** (pseudarthrosis), or hardware that has broken, loosened or moved;
- **a nerve still under pressure**, because the first decompression was incomplete or bone or disc fragments remain;
- **a new disc herniation** at the same level after a [discectomy](/treatments/discectomy/);
- **adjacent segment disease**, wear at the levels next to a fusion, which carry extra load once the fused level stops moving;
- **spinal stenosis** (narrowing) that has developed since the first operation;
- **instability or poor alignment** of the spine;
- **an infection** that needs surgical cleaning.

Not every pain after spine surgery has a surgical cause. Scar tissue around nerves, for instance, is rarely improved by more surgery. Treatments such as [spinal cord stimulation](/treatments/spinal-cord-stimulation/), [injections](/treatments/epidural-steroid-injection/) and [physical therapy](/treatments/physical-therapy/) may be better choices in that case. Our page on [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/) explains the possible causes.

## How to prepare

- **Bring your history.** Operative notes from earlier surgeries, the implant details and previous scans help your surgeon plan.
- **Expect thorough testing.** X-rays taken while bending, CT or MRI scans, nerve tests and sometimes diagnostic injections pinpoint the problem.
- **Stop smoking** well before surgery; it strongly raises the risk that a fusion fails again.
- **Review your medicines** with your team, including blood thinners and supplements, and follow their instructions on fasting.
- **Plan for help at home** for the first weeks, and a ride home from the hospital.

## The procedure

The exact operation depends on what needs correcting. It may involve removing scar tissue and bone to free a nerve, taking out and replacing hardware, adding bone graft, extending a fusion to another level, or correcting the alignment of the spine. Some revisions can be done with [minimally invasive techniques](/treatments/minimally-invasive-spine-surgery/); others need an open approach. The operation takes place under general anesthesia, and many surgeons monitor nerve function throughout.

## Recovery

Most people stay in the hospital for one or more days. Walking usually starts within a day, with help. Recovery is often slower than after a first operation; a fusion can take several months to become solid. A structured [physical therapy](/treatments/physical-therapy/) program helps rebuild strength and protect the result.

Ask your surgeon what improvement is realistic for you: revision surgery can relieve pain and restore function, but results vary more than after a first operation.
""",
    ),
    "spinal-cord-stimulation": (
        "Spinal cord stimulation uses a small implanted device to calm chronic back and leg pain. Who it helps, the trial, the implant and recovery.",
        """\
Spinal cord stimulation (SCS) is a treatment for long-lasting nerve pain in the back and legs, especially pain that continues after spine surgery. Thin wires called leads are placed in the space just outside the spinal cord and connected to a small battery-powered generator under the skin. The device sends mild electrical pulses that change how pain signals travel to the brain. Depending on the system, people feel a gentle tingling or nothing at all.

A major advantage is that you can **try it before you commit**: every implant is preceded by a trial of about a week.

## What it treats

Spinal cord stimulation is most often used for:

- [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/), also called post-laminectomy syndrome: ongoing back or leg pain after surgery;
- chronic leg pain from irritated nerve roots (radiculopathy or sciatica) that has not improved with other care;
- complex regional pain syndrome and some other nerve pain conditions.

It is usually considered when medicines, [physical therapy](/treatments/physical-therapy/) and [injections](/treatments/epidural-steroid-injection/) have not brought enough relief, and when further surgery is not expected to help. It does not fix the underlying problem; it reduces the pain so you can do more.

## How to prepare

- **Evaluation.** Your specialist reviews your history and scans and may ask for a psychological assessment, a standard step that helps make sure the treatment suits you and that you have support for living with chronic pain.
- **Medicines.** You may need to pause blood thinners before the trial and the implant; your team will tell you exactly when.
- **Set goals.** Decide with your specialist what success looks like, such as walking farther, sleeping through the night or needing less pain medicine.

## The procedure

**The trial.** Using X-ray guidance and a local anesthetic, the specialist passes one or two leads through a needle into the epidural space. The leads are connected to an external stimulator you wear on a belt. Over about five to seven days at home you keep track of your pain and activity. A trial is generally considered successful when pain improves by at least half.

**The implant.** If the trial works, the permanent system is placed in a short outpatient procedure, usually under sedation or light anesthesia. The leads are secured and the generator is placed under the skin of the lower back, buttock or abdomen. Some generators are rechargeable through the skin.

## Recovery

Most people go home the same day. For about six weeks you avoid bending, twisting, lifting and reaching overhead so the leads can settle in place. A representative of the device maker or the clinic team programs the stimulator and adjusts it at follow-up visits. You control it with a small handheld remote.

Possible problems include infection, leads moving out of position and discomfort at the generator site; most can be corrected. Ask which MRI scans your system allows, as this varies between devices.
""",
    ),
    "intrathecal-drug-delivery": (
        "Intrathecal drug delivery: a small implanted pump gives tiny doses of pain medicine near the spinal cord. Who it suits, the trial, surgery and aftercare.",
        """\
Intrathecal drug delivery, often called a pain pump, places a small, round pump under the skin of the abdomen. A thin tube (catheter) carries medicine from the pump into the intrathecal space, the fluid-filled space around the spinal cord. Because the medicine goes straight to where pain signals are processed, a tiny fraction of an oral dose can work, which often means fewer side effects such as drowsiness and constipation.

## What it treats

A pain pump may be considered for severe, long-lasting pain when other treatments have not helped enough or cause side effects that are hard to live with, for example:

- chronic back and leg pain after spine surgery ([failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/));
- pain from cancer;
- severe muscle stiffness (spasticity), using a different medicine.

It is usually offered after conservative care, [injections](/treatments/nerve-block/) and often [spinal cord stimulation](/treatments/spinal-cord-stimulation/) have been considered.

## How to prepare

- **A trial comes first.** The specialist gives a single dose of medicine into the intrathecal space, or runs it for a few days through a temporary catheter, and watches how much your pain improves and whether side effects appear.
- **An evaluation of your overall health,** often including a psychological assessment, helps make sure the therapy suits you.
- **Medicines.** Your team will tell you whether to pause blood thinners and how your other pain medicines will be adjusted.
- **Plan the follow-up.** The pump needs refilling at the clinic, so think about travel to appointments.

## The procedure

If the trial works, the pump is implanted in an operating room, usually under general anesthesia. The catheter is placed through a small incision in the back and passed under the skin to the abdomen, where the pump sits in a pocket beneath the skin. The operation usually takes one to a few hours, and many people stay in the hospital for a night.

## Recovery

The incisions heal over a few weeks; avoid bending, twisting and lifting while they do. The dose is adjusted gradually over the first weeks, using a programr held against the skin.

Living with a pump means regular refills, usually every one to six months, done with a needle through the skin in a short clinic visit. The battery lasts several years, after which the pump is replaced in a smaller operation. Never miss a refill: running out can cause withdrawal symptoms. Report fever, headache that worsens when you sit up, new weakness or a change in bladder or bowel control right away.
""",
    ),
    "epidural-steroid-injection": (
        "An epidural steroid injection puts anti-inflammatory medicine next to irritated spinal nerves. What it treats, how to prepare, the injection and what to expect after.",
        """\
An epidural steroid injection delivers a corticosteroid, often with a local anesthetic, into the epidural space, the layer around the spinal cord and nerve roots. The steroid reduces inflammation of irritated nerves, which can ease pain that spreads into the leg or arm. The injection does not repair a disc or remove scar tissue, but the relief it gives can make it possible to start [physical therapy](/treatments/physical-therapy/) and get moving again.

It is also a diagnostic tool: if numbing a particular nerve relieves the pain, that points to where the pain comes from.

## What it treats

- Sciatica and other pain that radiates from a pinched or inflamed nerve root (radiculopathy).
- Herniated or bulging discs.
- Spinal stenosis, a narrowing of the spaces through which the nerves run.
- Leg pain that continues or returns after spine surgery, as part of treating [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/).

## How to prepare

- **Medicines.** Tell your specialist about all medicines, especially blood thinners; some need to be paused for a few days first, on your doctor's instructions.
- **Health conditions.** Mention diabetes (steroids can raise blood sugar for a few days), allergies to contrast dye, infections and pregnancy.
- **A ride home.** Many clinics ask you to bring someone to drive you, especially if you receive sedation.

## The procedure

The injection is an outpatient procedure of about 15 to 30 minutes. You lie on your stomach (or sit, for the neck). The skin is cleaned and numbed, then the specialist guides a thin needle into place using live X-ray (fluoroscopy), confirming the position with a small amount of contrast dye before injecting the medicine. You may feel pressure, or brief pain like your usual symptoms. Injections can be placed between the vertebrae (interlaminar), beside a nerve root (transforaminal) or through the tailbone (caudal).

## Recovery

You rest for a short time and go home the same day. The anesthetic can give relief for a few hours; the steroid usually starts working within two to seven days. Relief may last weeks to months, and varies from person to person.

- Take it easy for the rest of the day, then return to normal activities.
- Mild soreness at the injection site, flushing, trouble sleeping and a short rise in blood sugar are common and pass.
- Seek help for fever, a severe headache, or new weakness or numbness.

Injections may be repeated if they help, but doctors limit how many are given in a year because of the effects of steroids on the body.
""",
    ),
    "nerve-block": (
        "A nerve block is an injection that interrupts pain from a specific nerve. How it helps find and treat the source of back pain, preparation and recovery.",
        """\
A nerve block is an injection of a local anesthetic, sometimes with a steroid, around a particular nerve or group of nerves. It has two jobs. As a **diagnostic** test, it shows whether a given nerve or joint is the source of your pain: if the pain fades while that nerve is numb, the specialist has found a target. As a **treatment**, it can calm pain for weeks or months, giving you a window to strengthen your back with [physical therapy](/treatments/physical-therapy/).

## What it treats

Common nerve blocks for the spine include:

- **Medial branch blocks,** which numb the small nerves that carry pain from the facet joints at the back of the spine. Two successful blocks usually come before [radiofrequency ablation](/treatments/radiofrequency-ablation/).
- **Selective nerve root blocks,** which target one nerve root to find out which level causes leg or arm pain, for example before surgery.
- **Sacroiliac joint injections,** for pain from the joint between the spine and the pelvis.

Nerve blocks are often part of the evaluation and treatment of pain after surgery. Our page on [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/) explains why finding the exact source matters.

## How to prepare

- **Keep a pain diary** for a few days before and after: noting your pain level at set times is how the result of a diagnostic block is judged.
- **Medicines.** Ask whether to pause blood thinners. For a diagnostic block, you may be asked not to take pain medicine for a few hours beforehand so the result is clear.
- **Arrange a ride** if you will be sedated.

## The procedure

The injection takes about 15 to 30 minutes. The skin is cleaned and numbed, and the specialist guides a thin needle to the target using X-ray or ultrasound, confirms the position with a little contrast dye, then injects the medicine. Most people feel pressure and brief discomfort.

## Recovery

You are observed for a short time and go home the same day. The area may feel numb or weak for a few hours, so take care when walking and avoid driving for the rest of the day. Write down how your pain changes in the hours after the block and share it with your specialist. If a steroid was included, its effect may take a few days to appear. Soreness at the injection site is common and passes; fever, worsening pain or new weakness should be reported.
""",
    ),
    "radiofrequency-ablation": (
        "Radiofrequency ablation uses heat to switch off the small nerves that carry pain from spinal joints. Who it suits, preparation, the procedure and recovery.",
        """\
Radiofrequency ablation (RFA), also called radiofrequency neurotomy, uses a needle-thin probe to heat and disable the small sensory nerves that carry pain from the facet joints of the spine (or from the sacroiliac joint). It does not affect the nerves that control your muscles or the feeling in your legs. Relief commonly lasts from six months to a year or more. The nerves can grow back, and the treatment can then be repeated if it helped.

## What it treats

- Chronic low back or neck pain from arthritis of the facet joints.
- Pain from the sacroiliac joint.
- Back pain after spine surgery that comes from the joints at or near the operated levels, one of the causes of [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/).

Before RFA, the specialist confirms the source of pain with diagnostic [nerve blocks](/treatments/nerve-block/), usually two separate medial branch blocks. If each one clearly reduces your pain for a few hours, RFA is likely to help.

## How to prepare

- **Medicines.** Ask whether to pause blood thinners, and whether to eat beforehand if you will be sedated.
- **Devices.** Tell your team if you have a pacemaker, defibrillator or spinal cord stimulator.
- **A ride home.** You should not drive after the procedure.

## The procedure

RFA is an outpatient procedure lasting about 30 to 90 minutes, depending on how many levels are treated. You lie on your stomach; the skin is numbed, and light sedation may be given. Under X-ray guidance, the specialist places a probe next to each target nerve. A brief test stimulation makes sure the probe is in the right place, and the area is numbed before the probe heats the nerve for a minute or two.

## Recovery

You go home the same day. Soreness, like a sunburn or a bruise, is common for one to two weeks; ice and over-the-counter pain relievers help. Pain relief often builds over two to four weeks. Use that window to rebuild strength and flexibility with [physical therapy](/treatments/physical-therapy/), which helps the benefit last. Report fever, increasing pain or new numbness or weakness.
""",
    ),
    "physical-therapy": (
        "Physical therapy rebuilds strength and movement after spine surgery and eases chronic back pain. What a program involves and how to get the most from it.",
        """\
Physical therapy is a cornerstone of recovery from spine surgery and of treating pain that lingers afterwards. A licensed physical therapist assesses how you move, then builds a program of exercises and hands-on care to restore strength, flexibility and confidence. It is also one of the safest treatments available, and it makes most other treatments work better.

Months of pain before an operation often leave the muscles of the back and abdomen weak, and surgery can change how load passes through the spine. Rebuilding that support is one of the best ways to reduce pain and lower the risk of injury or further surgery.

## What it treats

- Recovery after [discectomy](/treatments/discectomy/), [laminectomy](/treatments/laminectomy/), [spinal fusion](/treatments/spinal-fusion/) and other spine operations.
- Chronic back or neck pain, including [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/).
- Sciatica, disc problems and spinal stenosis, often alongside [injections](/treatments/epidural-steroid-injection/) or [radiofrequency ablation](/treatments/radiofrequency-ablation/).

## How to prepare

- **Bring your information:** your surgeon's restrictions and instructions, a list of medicines and, if you have them, recent scan reports.
- **Wear comfortable clothes** you can move in.
- **Think about your goals,** such as sitting through a meal, lifting a grandchild, or walking to the shops, so the program can work towards them.
- **Check your coverage:** many insurance plans need a referral and limit the number of visits.

## What a program involves

The first visit is an evaluation of your posture, movement, strength, balance and pain. Sessions that follow, often two or three a week for several weeks, may include:

- **Therapeutic exercise** to strengthen the core, back, hip and leg muscles and improve flexibility and endurance.
- **Education** about posture, safe lifting and bending, and pacing your activity on good and bad days.
- **Manual therapy** such as gentle mobilization and soft-tissue work.
- **Pain relief during sessions** with heat or cold packs, ultrasound or electrical stimulation, including TENS.
- **A home exercise plan,** which matters as much as the sessions themselves.

## What to expect

Some soreness after a session is normal, especially at the start; sharp or steadily worsening pain is not, and you should tell your therapist about it. Progress is usually gradual, over weeks rather than days. Doing your home exercises regularly is the strongest predictor of lasting benefit. If pain keeps you from exercising, a specialist can suggest treatments that reduce it enough for you to take part.
""",
    ),
    "spinal-fusion": (
        "Spinal fusion joins two or more vertebrae to stop painful motion or instability. What it treats, preparation, the operation and the months of recovery.",
        """\
Spinal fusion is surgery that permanently joins two or more vertebrae so that they heal into a single, solid bone. Stopping movement at a painful or unstable segment can relieve pain and protect the nerves. The surgeon places bone graft (your own bone, donor bone or a bone substitute) between the vertebrae and usually holds them still with screws, rods, plates or a cage while the bone grows together over the following months.

## What it treats

- Instability, such as spondylolisthesis, where one vertebra slips forward over another.
- Deformity, such as scoliosis or kyphosis.
- Fractures of the spine.
- Some cases of severe degenerative disc disease, or stenosis that needs a large decompression.
- A fusion that did not heal, as part of [revision spine surgery](/treatments/revision-spine-surgery/).

Success rates depend strongly on choosing the right patient and the right level: fusion works best when the source of pain is clearly identified. Fusing one level also puts more strain on the levels next to it, which can wear faster over the years. Ask your surgeon what relief is realistic for you.

## How to prepare

- **Stop smoking.** Nicotine is one of the main reasons fusions fail to heal.
- **Get your health in order:** good control of blood sugar, healthy nutrition and, if needed, treatment of low bone density all help the bone to knit.
- **Review medicines** with your team, including blood thinners, anti-inflammatories and supplements, and follow the fasting instructions.
- **Prepare your home** so that what you need every day is within easy reach, and arrange help for the first weeks.

## The procedure

Fusion is done under general anesthesia and takes a few hours. Depending on the problem, the surgeon reaches the spine from the back, the front or the side. The part of the spine pressing on a nerve is often removed first ([laminectomy](/treatments/laminectomy/) or [discectomy](/treatments/discectomy/)), then bone graft is placed and the hardware is fixed. Some fusions can be done through small incisions with [minimally invasive spine surgery](/treatments/minimally-invasive-spine-surgery/).

## Recovery

Most people stay in the hospital for one to four days and start walking the day after surgery. For the first months you avoid bending, lifting and twisting; your surgeon may ask you to wear a brace. Many people return to desk work after about four to six weeks and to heavier work later. The bone keeps fusing for six to twelve months or longer. [Physical therapy](/treatments/physical-therapy/) usually starts once your surgeon allows it.

Call your surgeon about fever, wound redness or drainage, calf pain or swelling, or new weakness or numbness. If pain persists long after the fusion should have healed, read about [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/) and [spinal hardware removal](/treatments/spinal-hardware-removal/).
""",
    ),
    "discectomy": (
        "Discectomy removes the part of a herniated disc that presses on a nerve, to relieve sciatica. Who it suits, how to prepare, the operation and recovery.",
        """\
Discectomy is surgery that removes the portion of a spinal disc that has pushed out (herniated) and presses on a nerve root or the spinal cord. It is one of the most common spine operations and, for the right patient, one of the most successful: most people who have a discectomy for a herniated disc with leg pain report good relief. It usually helps leg pain (sciatica) more reliably than back pain.

When it is done through a very small incision with a microscope it is called a **microdiscectomy**.

## What it treats

- A herniated disc causing sciatica or arm pain that has not improved after several weeks of non-surgical care.
- Weakness, numbness or reflex changes from nerve compression.
- Urgently, a large herniation that affects bladder or bowel control (cauda equina syndrome). **Sudden loss of bladder or bowel control, or numbness in the groin area, is an emergency: call 911 or go to an emergency room.**

Many herniated discs improve with time, [physical therapy](/treatments/physical-therapy/) and [epidural steroid injections](/treatments/epidural-steroid-injection/), so surgery is usually not the first step.

## How to prepare

- **Confirm the diagnosis:** an MRI should show a herniation at the level that matches your symptoms.
- **Review medicines** with your team, including blood thinners, and follow fasting instructions.
- **Stop smoking** to help healing.
- **Arrange a ride home** and some help for the first few days.

## The procedure

Discectomy is done under general anesthesia and usually takes about an hour. Through a small incision in the back, the surgeon gently moves the back muscles aside, may remove a little bone or ligament to see the nerve (a laminotomy), and takes out the fragment of disc that presses on it. Most of the healthy disc stays in place.

## Recovery

Many people go home the same day. Leg pain often improves quickly, while numbness or weakness can take weeks or months to recover. Walking is encouraged from the start; sitting for long periods, bending and lifting are limited for a few weeks. People with desk jobs often return to work within one to two weeks; physical jobs take longer.

The disc can herniate again at the same level in a minority of people, most often in the first months. Following the lifting guidance and building core strength with [physical therapy](/treatments/physical-therapy/) help protect your back. If leg pain returns, see your specialist; a repeat herniation can often be treated, sometimes with [revision surgery](/treatments/revision-spine-surgery/).
""",
    ),
    "laminectomy": (
        "Laminectomy removes part of a vertebra's bony arch to take pressure off the spinal cord or nerves in spinal stenosis. Preparation, the operation and recovery.",
        """\
A laminectomy is surgery that removes the lamina, the back part of a vertebra that covers the spinal canal, along with thickened ligaments or bone spurs. This makes more room for the spinal cord and nerve roots. It is also called decompression surgery. A smaller version that removes only part of the lamina is called a laminotomy.

## What it treats

Laminectomy mainly treats **spinal stenosis**, a narrowing of the spinal canal, usually caused by arthritis and wear over the years. Typical symptoms include:

- pain, heaviness, cramping or numbness in the legs when standing or walking, eased by sitting or leaning forward (neurogenic claudication);
- sciatica or weakness in the legs;
- in the neck, clumsiness of the hands or problems with balance.

Surgery is considered when symptoms limit your daily life despite [physical therapy](/treatments/physical-therapy/), medicines and [epidural steroid injections](/treatments/epidural-steroid-injection/), or when nerve function is getting worse.

## How to prepare

- **Scans:** an MRI or CT scan shows where the narrowing is; X-rays taken while bending show whether the spine is stable.
- **Review medicines** with your team and follow their fasting instructions.
- **Stop smoking** and stay as active as you comfortably can.
- **Arrange a ride home** and help for the first days.

## The procedure

Laminectomy is performed under general anesthesia through an incision in the middle of the back. The surgeon removes the lamina and any bone spurs or thickened ligament pressing on the nerves, and may widen the openings where nerve roots leave the spine (foraminotomy). If the spine is unstable, or becomes so after decompression, a [spinal fusion](/treatments/spinal-fusion/) may be done at the same time. Some decompressions can be done through small tubes using [minimally invasive spine surgery](/treatments/minimally-invasive-spine-surgery/).

## Recovery

Many people go home the same day or after one night. You will walk soon after surgery, and walking a little more each day is one of the best things you can do. Avoid heavy lifting and twisting for several weeks. Leg pain often eases sooner than numbness. [Physical therapy](/treatments/physical-therapy/) helps you regain strength and endurance.

Pain that persists or returns after a laminectomy is sometimes called **post-laminectomy syndrome**, a form of [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/). Scar tissue, a new narrowing or instability can be responsible, and there are treatments for each.
""",
    ),
    "minimally-invasive-spine-surgery": (
        "Minimally invasive spine surgery treats spine problems through small incisions, with less muscle damage. Who is a candidate and what recovery looks like.",
        """\
Minimally invasive spine surgery (MISS) describes techniques that reach the spine through small incisions instead of one long cut. The surgeon works through narrow tubes (retractors) that gently part the muscles rather than cutting them away from the bone, guided by live X-ray, a microscope or an endoscope, and sometimes computer navigation or a robot.

The goal is the same as open surgery, to take pressure off nerves or stabilize the spine, with less disturbance of healthy tissue. Compared with traditional open surgery, people often have less blood loss, less pain after the operation, shorter hospital stays and a quicker return to daily activities. The long-term results for many procedures are similar.

## What it treats

Many common operations can be done this way when the anatomy is suitable:

- [discectomy](/treatments/discectomy/) for a herniated disc;
- [laminectomy](/treatments/laminectomy/) or laminotomy for spinal stenosis;
- [spinal fusion](/treatments/spinal-fusion/), including fusions placed from the side or the back through small incisions;
- some cases of [revision spine surgery](/treatments/revision-spine-surgery/) and [spinal hardware removal](/treatments/spinal-hardware-removal/).

Not everyone is a candidate. Large deformities, some revisions and complex problems may still need an open approach. A surgeon experienced in both can tell you which suits your case.

## How to prepare

Preparation is the same as for any spine operation: scans to confirm the problem, a review of your medicines (including blood thinners), fasting before surgery, stopping smoking, and arranging a ride home and some help for the first days.

## The procedure

MISS is done under general anesthesia. Through one or more incisions, often about an inch or less, the surgeon inserts tubes to reach the spine and carries out the decompression or fusion through them. Screws and rods, if needed, can often be placed through the skin. The incisions are closed with a few stitches or surgical glue.

## Recovery

Many minimally invasive decompressions are done as outpatient surgery, and fusions often need a shorter hospital stay than open ones. You will be encouraged to walk early. Even with small incisions, the deeper tissues and any fusion still take time to heal, so follow your surgeon's limits on lifting, bending and twisting, and attend [physical therapy](/treatments/physical-therapy/) if it is prescribed.
""",
    ),
}

CONDITIONS = [
    {
        "slug": "failed-back-surgery-syndrome",
        "name": "Failed back surgery syndrome",
        "summary": "Pain that continues, returns or appears after spine surgery. It is common, it has causes a specialist can look for, and there are treatments that help.",
        "meta_description": "Failed back surgery syndrome (post-laminectomy syndrome): why pain can persist after spine surgery, the symptoms, how it is diagnosed and the treatments that help.",
        "sort_order": 10,
        "treatments": [
            "physical-therapy", "epidural-steroid-injection", "nerve-block",
            "radiofrequency-ablation", "spinal-cord-stimulation", "intrathecal-drug-delivery",
            "revision-spine-surgery", "spinal-hardware-removal",
        ],
        "body": """\
You had spine surgery to get rid of your pain, but weeks or months later the pain is still there, has come back, or feels different. That is frustrating and worrying, and you are not alone. Doctors call it **failed back surgery syndrome** (FBSS), also known as **post-laminectomy syndrome** or post-spine surgery pain syndrome.

The name sounds harsh, but it does not necessarily mean the operation was done badly. It is a general term for chronic pain in the back or legs (or the neck and arms) that persists or appears after one or more spine operations. Many people get excellent relief from spine surgery; a meaningful share do not, and the chance of lasting relief is lower after each additional operation. The important message is that the pain has causes a specialist can look for, and treatments that can help.

## Causes

Often more than one factor is involved, and sometimes no single cause can be found. Common reasons include:

- **The original problem was not fully addressed.** A nerve may still be under pressure, or fragments of disc or bone may remain. Back pain is hard to pin down, and scans do not always match symptoms, so the source of pain may have been different from the one treated.
- **A new problem has developed.** Another disc can herniate, at the same level or a different one. The levels next to a fusion carry extra load and may wear faster (adjacent segment disease). Spinal stenosis, a narrowing around the nerves, can develop over time.
- **Scar tissue ([epidural fibrosis](/conditions/epidural-fibrosis/)).** Some scarring after surgery is normal. When it surrounds or tethers a nerve root, it can cause ongoing pain; it is thought to account for a significant share of pain after spine surgery.
- **The fusion did not heal, or the hardware failed.** Bones sometimes fail to grow together (pseudarthrosis), and screws or rods can loosen, break or irritate nearby tissue.
- **Nerve damage.** A nerve injured before or during surgery may heal poorly or not at all, and abnormal regrowth can itself be painful.
- **Weak supporting muscles.** Months of pain often leave the back and abdominal muscles out of condition. Surgery can change how weight passes through the spine, and weak muscles make that harder to cope with. Incomplete rehabilitation adds to the problem.
- **Infection or slow healing.** An infection after surgery delays recovery. Smoking, diabetes and poor nutrition slow healing.
- **Complications during surgery.** Like any operation, spine surgery carries risks, such as bleeding or irritation of nerves or joints.

## Signs and symptoms

The main sign is pain that continues well past the normal recovery period, comes back after a period of relief, or appears somewhere new. It can include:

- a dull, constant ache in the back or legs;
- sharp, stabbing or burning pain, which may run down one or both legs (sciatica);
- numbness, tingling, or other unusual sensations in the legs or feet;
- muscle spasms in the back;
- stiffness and reduced mobility, or difficulty with everyday activities;
- pain in a different place from the one that was treated;
- poor sleep, anxiety or low mood, and relying more and more on pain medicine.

Symptoms range from annoying to disabling. Chronic pain affects the whole person, so it is worth mentioning your sleep, mood and daily life to your doctor as well as the pain itself.

## Diagnosis

Finding the cause is the first step, and it is the same careful process used for other back pain. A specialist will usually:

- **take a detailed history**: what the original problem was, which operation you had, how you felt afterwards, and how the pain has changed;
- **examine you**, checking movement, strength, reflexes and sensation;
- **order imaging**: X-rays (including bending views to check stability and hardware), an MRI (often with contrast, which helps tell scar tissue from disc material) or a CT scan;
- sometimes order **nerve tests**, such as electromyography;
- sometimes use **diagnostic injections**, such as [nerve blocks](/treatments/nerve-block/) or [epidural steroid injections](/treatments/epidural-steroid-injection/), to test where the pain comes from. If numbing a particular nerve or joint relieves the pain, that points to the source, and the injection may bring some relief that makes rehabilitation easier.

Sometimes the answer is simply that healing is taking longer than expected. Everyone's body recovers at its own pace.

## Treatment options

Treatment depends on the cause, and most people do best with a combination of approaches.

- **[Physical therapy](/treatments/physical-therapy/).** Guided exercise to rebuild strength, flexibility and confidence is a cornerstone of treatment for almost everyone. Therapists may also use heat, cold, ultrasound or electrical stimulation (TENS) to ease pain during sessions.
- **Medicines.** Anti-inflammatory drugs (NSAIDs), muscle relaxants, and medicines for nerve pain, such as certain antidepressants and anticonvulsants, are often used alongside other treatments. Opioids are generally not recommended for long-term pain; discuss the options and their risks with your doctor.
- **Injections.** [Epidural steroid injections](/treatments/epidural-steroid-injection/) calm inflamed nerve roots, and [nerve blocks](/treatments/nerve-block/) numb specific pain-carrying nerves. Relief can last weeks to months.
- **[Radiofrequency ablation](/treatments/radiofrequency-ablation/)** switches off the small nerves carrying pain from the spine's joints, often for many months.
- **[Spinal cord stimulation](/treatments/spinal-cord-stimulation/).** A small implanted device sends mild pulses to the spinal cord to reduce pain signals. It is one of the best-studied treatments for chronic leg and back pain after surgery, and you can try it for about a week before deciding.
- **[Intrathecal drug delivery](/treatments/intrathecal-drug-delivery/).** A small implanted pump delivers tiny doses of medicine directly around the spinal cord, for severe pain that other treatments have not controlled.
- **Surgery, when there is a clear, fixable cause.** [Revision spine surgery](/treatments/revision-spine-surgery/) can relieve a nerve still under pressure or repair a fusion that did not heal, and [spinal hardware removal](/treatments/spinal-hardware-removal/) can help when screws or rods are broken, misplaced or infected. Further surgery is not the answer for every cause, which is why an accurate diagnosis matters.
- **Support for the whole person.** Pain psychology, cognitive behavioral therapy, relaxation techniques and support groups help many people cope with chronic pain and often reduce it.

## When to request an evaluation

Ask for an evaluation by a spine specialist if:

- you are past the recovery time your surgeon expected and still have significant pain;
- your pain has come back after a period of improvement, or has moved or changed;
- pain keeps you from work, sleep or daily activities;
- you need more pain medicine as time goes on.

There is no need to wait for the pain to become unbearable: an early, accurate diagnosis gives you more options.

**Get emergency care (call 911)** if you have new loss of bladder or bowel control, numbness in the groin or inner thighs, rapidly worsening weakness in the legs, or a fever with severe back pain or a red, draining wound.

## Preparing for an appointment

A little preparation helps you and the specialist make the most of the visit:

- **Bring your records:** the operative report from each surgery, details of any implants, and recent X-ray, MRI or CT reports and images.
- **Describe your pain:** where it is, what it feels like, how strong it is on a scale of 0 to 10, and what makes it better or worse. A short pain diary over a week or two helps.
- **List your treatments so far,** including medicines (with doses), injections, physical therapy and how well each worked.
- **Tell your doctor how the pain affects your life:** sleep, work, mood and activities you have had to give up.
- **Write down your questions,** for example:
  - What do you think is causing my pain?
  - Which tests do I need?
  - Which treatments might suit me, and what are their risks and chances of success?
  - What can I do myself, starting now?

Bring a family member or friend if you can; a second pair of ears helps.
""",
    },
    {
        "slug": "epidural-fibrosis",
        "name": "Scar tissue after back surgery (epidural fibrosis)",
        "summary": "Scar tissue that forms around the spinal nerves after surgery and sometimes presses on or tethers them. A common cause of leg pain that returns after back surgery.",
        "meta_description": "Epidural fibrosis: how scar tissue after spine surgery can cause leg and back pain, how it is told apart from a new disc herniation, and the treatments that help.",
        "sort_order": 20,
        "treatments": [
            "physical-therapy", "epidural-steroid-injection", "nerve-block",
            "spinal-cord-stimulation",
        ],
        "body": """\
Every operation leaves scar tissue: it is how the body heals. After spine surgery, scar tissue forms in the epidural space, the layer around the spinal cord's protective covering and the nerve roots. This is called **epidural fibrosis**. In most people it causes no trouble. In some, the scar surrounds a nerve root, presses on it or tethers it so that it can no longer glide freely as you move, and the nerve becomes painful.

Scar tissue is one of the most common causes of [failed back surgery syndrome](/conditions/failed-back-surgery-syndrome/): it is estimated to be behind roughly a fifth to a third of cases of pain after spine surgery.

## Causes

Scar tissue is a normal part of healing after any operation on the spine, such as a [discectomy](/treatments/discectomy/) or a [laminectomy](/treatments/laminectomy/). How much forms varies greatly from person to person and cannot be fully controlled. It tends to be more extensive:

- after repeated operations at the same level;
- after larger operations that expose more of the nerves;
- when there was bleeding or an infection around the nerves after surgery.

Techniques that disturb less tissue, such as [minimally invasive spine surgery](/treatments/minimally-invasive-spine-surgery/), aim to limit scarring, but no method prevents it completely.

## Signs and symptoms

Symptoms typically appear some weeks to months after surgery, often after an initial period of relief. They can include:

- pain that radiates into the buttock or leg, often similar to the sciatica you had before surgery;
- burning, numbness or tingling along the path of the nerve;
- back pain and stiffness;
- pain that is worse with activity, bending or straightening the leg, and eases with rest.

## Diagnosis

Pain that returns after back surgery has several possible causes, and they are treated differently, so the first step is finding out which one you have. A specialist will take your history and examine you. The key test is usually an **MRI with contrast** (gadolinium): scar tissue takes up the contrast and lights up on the images, while a fragment of disc usually does not. This helps tell epidural fibrosis apart from a new disc herniation, which may need different treatment. X-rays taken while bending, and sometimes nerve tests or diagnostic injections, help rule out instability, stenosis and other causes.

## Treatment options

Surgery to remove scar tissue is rarely recommended: new scar tends to form after each operation, often more than before. Treatment therefore aims to calm the irritated nerve, keep it moving and reduce pain:

- **[Physical therapy](/treatments/physical-therapy/),** including gentle exercises that help the nerves glide, core strengthening and staying active.
- **Medicines** such as anti-inflammatories and medicines for nerve pain, chosen with your doctor.
- **[Epidural steroid injections](/treatments/epidural-steroid-injection/)** and **[nerve blocks](/treatments/nerve-block/)** to reduce inflammation around the nerve and ease pain, often enough to make exercise possible.
- **Epidural adhesiolysis,** a procedure in which a thin catheter is passed into the epidural space to deliver medicines that loosen scar tissue around the nerve; it is offered by some pain specialists.
- **[Spinal cord stimulation](/treatments/spinal-cord-stimulation/),** which is often effective for leg pain after spine surgery when other treatments have not helped, and can be tried for about a week before deciding.

Many people do best with a combination of these, and with support for coping with long-term pain.

## When to request an evaluation

Ask for an evaluation if leg or back pain returns or persists after you should have recovered from surgery, if the pain limits your daily life or sleep, or if you need more pain medicine over time. An accurate diagnosis matters, because scar tissue and a new disc herniation call for different treatment.

**Get emergency care (call 911)** for new loss of bladder or bowel control, numbness in the groin area, rapidly worsening leg weakness, or fever with severe back pain.

## Preparing for an appointment

- Bring the operative reports from your surgeries and recent scan reports and images; ask whether an MRI with contrast has been done.
- Describe when the pain came back, where it spreads, what it feels like and what makes it better or worse.
- List the treatments you have tried, including medicines and their doses, and how well each worked.
- Write down your questions, for example: Is scar tissue the cause of my pain, or could it be something else? Which treatments would you suggest, and what results can I expect?
""",
    },
]


def create_content(apps, schema_editor):
    Treatment = apps.get_model("specialists", "Treatment")
    Condition = apps.get_model("specialists", "Condition")
    for slug, (meta_description, body) in TREATMENT_CONTENT.items():
        Treatment.objects.filter(slug=slug, body="").update(
            body=body, meta_description=meta_description, last_reviewed=REVIEWED_ON
        )
    for spec in CONDITIONS:
        condition, created = Condition.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "summary": spec["summary"],
                "meta_description": spec["meta_description"],
                "body": spec["body"],
                "last_reviewed": REVIEWED_ON,
                "sort_order": spec["sort_order"],
            },
        )
        if created:
            condition.treatments.set(Treatment.objects.filter(slug__in=spec["treatments"]))


class Migration(migrations.Migration):
    dependencies = [("specialists", "0002_catalog")]

    operations = [migrations.RunPython(create_content, migrations.RunPython.noop)]
