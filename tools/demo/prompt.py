"""The SmolVLM2-style video prompt with each frame's kept tokens, as token ids.

`<|im_start|>User: You are provided the following series of {N words} frames from a
{duration} [H:MM:SS] video.\n` then per frame `\nFrame from {mm:ss}:` +
`<fake_token_around_image><global-img>` + k_i x `<image>` + `<fake_token_around_image>`,
then `\n\n{question}<end_of_utterance>\nAssistant:`. The `<image>` ids mark where kept vision
tokens are spliced, in time order and grid order. Training may vary the duration format and
the BOS token so the model does not hang on details a TypeScript builder may render
differently; `variant=None` is the canonical form the demo ships with.
"""

NUM_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def num2words(n):
    """English number words as the `num2words` package writes them (SmolVLM2's processor uses
    it for the frame count): 32 -> thirty-two, 256 -> two hundred and fifty-six."""
    if n < 20:
        return NUM_WORDS[n]
    if n < 100:
        return TENS[n // 10] + ("-" + NUM_WORDS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return NUM_WORDS[n // 100] + " hundred" + (" and " + num2words(rest) if rest else "")
    return str(n)


def format_duration(seconds, long_form=True):
    """The processor's str(timedelta(seconds=int(d))): H:MM:SS (0:00:16). The short M:SS form is
    only a training variant."""
    s = int(seconds)
    h, m, sec = s // 3600, (s % 3600) // 60, s % 60
    if long_form or h > 0:
        return f"{h}:{m:02d}:{sec:02d}"
    return f"{m}:{sec:02d}"


def format_timestamp(seconds):
    """The processor's frame time: minutes (not wrapped at an hour) and seconds, MM:SS."""
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


class PromptBuilder:
    """Token ids of prompts, with tokenization of the repeated pieces cached."""

    def __init__(self, tokenizer):
        self.tok = tokenizer
        sp = tokenizer.special
        self.image_id = sp["<image>"]
        self.fake_id = sp["<fake_token_around_image>"]
        self.global_id = sp["<global-img>"]
        self.eou_id = sp["<end_of_utterance>"]
        self.start_id = sp["<|im_start|>"]
        self.bos_id = sp["<|endoftext|>"]
        self._cache = {}

    def _enc(self, text):
        ids = self._cache.get(text)
        if ids is None:
            ids = self._cache[text] = self.tok.encode(text)
        return ids

    def intro(self, n_frames, duration, long_form=True):
        return (
            f"User: You are provided the following series of {num2words(n_frames)} frames "
            f"from a {format_duration(duration, long_form)} [H:MM:SS] video.\n"
        )

    def video_ids(self, timestamps, duration, keep, variant=None):
        """Ids up to the last frame's closing fake token; `keep[i]` <image> ids per frame."""
        variant = variant or {}
        ids = [self.bos_id] if variant.get("bos") else []
        ids.append(self.start_id)
        text = self.intro(len(timestamps), duration, not variant.get("short_duration", False))
        for t, k in zip(timestamps, keep):
            ids += self._enc(text + f"\nFrame from {format_timestamp(t)}:")
            text = ""
            ids += [self.fake_id, self.global_id] + [self.image_id] * int(k) + [self.fake_id]
        return ids

    def question_ids(self, question):
        """Ids after the video: the question, end of utterance, and the assistant's turn."""
        return self._enc("\n\n" + question) + [self.eou_id] + self._enc("\nAssistant:")

    def answer_ids(self, answer):
        return self._enc(" " + answer) + [self.eou_id]

    def prompt_text(self, question, timestamps, duration, keep):
        """The same prompt as text (for checking against the TypeScript builder)."""
        parts = ["<|im_start|>", self.intro(len(timestamps), duration)]
        for t, k in zip(timestamps, keep):
            parts.append(f"\nFrame from {format_timestamp(t)}:")
            parts.append("<fake_token_around_image><global-img>" + "<image>" * int(k))
            parts.append("<fake_token_around_image>")
        parts.append("\n\n" + question + "<end_of_utterance>\nAssistant:")
        return "".join(parts)
