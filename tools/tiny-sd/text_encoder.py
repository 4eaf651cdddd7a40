"""CLIP text transformer with transformers' CLIPTextModel structure: token + position embeddings, pre-LN blocks
with a causal mask and quick_gelu, final LayerNorm; pooler_output is the hidden state at the (first) EOS token."""
import torch
from torch import nn

CONFIGS = {
    "tiny": dict(vocab_size=49408, hidden_size=64, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
                 max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, eos_token_id=49407),
    "sd15": dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                 num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                 eos_token_id=49407),
}


class EncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.layer_norm1 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.fc1 = nn.Linear(d, c["intermediate_size"])
        self.fc2 = nn.Linear(c["intermediate_size"], d)

    def forward(self, x, mask):
        b, n, d = x.shape
        h = self.layer_norm1(x)
        split = lambda t: t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_proj(h)), split(self.k_proj(h)), split(self.v_proj(h))
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (d // self.heads) ** -0.5 + mask, dim=-1)
        x = x + self.out_proj(torch.matmul(w, v).transpose(1, 2).reshape(b, n, d))
        h = self.fc1(self.layer_norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class ClipTextModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        c = config
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.layers = nn.ModuleList([EncoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        n = c["max_position_embeddings"]
        self.register_buffer("position_ids", torch.arange(n)[None], persistent=False)
        self.register_buffer("causal_mask", torch.full((n, n), float("-inf")).triu(1), persistent=False)

    def forward(self, input_ids):
        """(last_hidden_state, pooler_output, hidden_states[0..L]) with hidden_states[0] the embeddings."""
        ids = input_ids.long()
        n = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding(self.position_ids[:, :n])
        mask = self.causal_mask[:n, :n]
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = self.final_layer_norm(x)
        eos = (ids == self.config["eos_token_id"]).int().argmax(dim=-1)
        pooled = last[torch.arange(last.shape[0], device=last.device), eos]
        return last, pooled, hidden
