//! Fixed throw-away keys for the fake gateway, the demo and the tests.
//!
//! THESE ARE PUBLIC TEST KEYS, committed to a public repository: never use them
//! (or the demo merchant key) for a real gateway or real money. Generated once
//! with `openssl genrsa 2048` and `openssl rsa -pubout`.

/// The demo merchant number (商户ID) the fake gateway knows.
pub const DEMO_PID: &str = "1001";

/// The demo V1 merchant key (商户密钥). Public: test and demo only.
pub const DEMO_KEY: &str = "fakepay-demo-key-NOT-A-SECRET-2026";

/// V2 merchant private key (商户私钥, PKCS#8): what an admin configures in Youying.
pub const MERCHANT_PRIVATE_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCoVrAA5AzQGkzl\n\
OjyCw36V28moN/0AMoEUzpsMXA8OakDVFllJy3Xtwh3EZLPfE3OmtLeKTYu3LpnO\n\
LFxcnLomPdVC05SoUjzzqwX+GYsiyQyqDgK1VdJMXpUunsrkASNCZfX0DVSZPSiJ\n\
B6zYACOOv0eSQxwaDo2tLsdgstdUckE6UO0wBnM5t12BUVuAMFmifbUtBjdLyk8H\n\
oXYb547dOTxeAeR8DQVg1JcotTjyvzwwX+I0Nd87Rna9ZO7iO/sEC6p4x/ise4z2\n\
3foFC1XUnNQag/J3DgIEdp6QtzwmE4FNxqMjCgaCHay8RoAHdNeVDvDo/ErmzloU\n\
UCDM/m3LAgMBAAECggEAD9KWGH9W9PiD4cfniCL38v4Fploc3bfhiiMhT7gXcjNq\n\
hJzlJ5qIKyDjy2Hrxjv90t2JouZHC6DFtCtXQx04IgAN24onnuqb8AtTNN8RxONA\n\
3XsTphe6/JKnUwp555Rzy/npdFcMbJrjBH5EMMlSjkhMYeMM8SYNCwoqk1w8ASPU\n\
8yX+BwBSqrhkAP204fCwOoSZxk2KysHRl4RpXw/bEHBW4k5UblIxRMTvMKJfnrTe\n\
4Xjf9X0sjBtG6+ce6WM+pENIg3uoMvvxnRxrDNb7D8fvRShPF7P16raR7WNkfJTG\n\
KxZrAY5T7m6/vgKY7Zrnt5iw+bvAR8QFBWGv2J2tgQKBgQDiBmLxJGe6bhgMWFfx\n\
R0koRZkAHwqy0+sY9Gz6pgejaS1cqn1VnuoewY76LRBxe2WLiEB7Hgy/dJ1TLUOc\n\
CPVQ0giA8ODKMm+NQalele1477moL2S0WCcIq8ePaZz5uVRz9HS4tzyJfJpbYgn9\n\
uWSBtQ+g1BVrZJCIYiBTU+SXHwKBgQC+qdVVRYm1AwRwr+KQI2TGge3Wg182U3D7\n\
1nJIx/FzwLR2iBSRqak8HAWdap9y+X2yY0/iKuSNGshD2LCACw56Ag6Zn6raFiJq\n\
YtXY42VY9Lint5torRJLMETPJ4virNwx7RPS0SZckwhhchOo3N2URmFd8cvcCbWk\n\
Fvpj/DIv1QKBgQCtnCA1fzQZk+Tu3pC2KH4966+I008havuC0IRAxnTJhMkuC1p4\n\
ALdt5ljPOvwNXq3xzjdRGhTKnmUVdYgf+xWK/blAaUUQqkra4luY5mpgYSpmz/h3\n\
OdrJo0CGnKXRfxQqeNOK6lwactYRaS2pcNSNeKjHbQAC3FzUFSMlPiQwGwKBgBGq\n\
OpHD95ZFyUuHgD5KiTO7JgYR9ehaosUygTQtEjnfSNkSkpVMWtmu3vZOwqcsZnD4\n\
spYJ01MfgB6JHRE/9P9o4WFqYbIDCv1AWv/VUbaENfeUE1oHbwJ4XmezCkreKSiX\n\
BpcpuZwqI0SkBR5IGF98hdjmZjTk0Wd6mYhZ/WxhAoGAX2lCyspfWkHygRSH45Vv\n\
7QtQtdbFFk7pIYrfk5/qEOTIPU1QfTb2wggWH8XJhgj0gCY4pVwhee1HPuLMQcGQ\n\
8z22bH6liOSUENwo9L6ED9AbM882iEiXDxdz04pzoSGp9Ds0Ez3tF1QVzSgswad5\n\
qt8r87Jb+6iPIVybwVZ7wpE=\n\
-----END PRIVATE KEY-----\n\
";

/// V2 merchant public key (SPKI): what the fake gateway verifies requests with.
pub const MERCHANT_PUBLIC_PEM: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqFawAOQM0BpM5To8gsN+\n\
ldvJqDf9ADKBFM6bDFwPDmpA1RZZSct17cIdxGSz3xNzprS3ik2Lty6ZzixcXJy6\n\
Jj3VQtOUqFI886sF/hmLIskMqg4CtVXSTF6VLp7K5AEjQmX19A1UmT0oiQes2AAj\n\
jr9HkkMcGg6NrS7HYLLXVHJBOlDtMAZzObddgVFbgDBZon21LQY3S8pPB6F2G+eO\n\
3Tk8XgHkfA0FYNSXKLU48r88MF/iNDXfO0Z2vWTu4jv7BAuqeMf4rHuM9t36BQtV\n\
1JzUGoPydw4CBHaekLc8JhOBTcajIwoGgh2svEaAB3TXlQ7w6PxK5s5aFFAgzP5t\n\
ywIDAQAB\n\
-----END PUBLIC KEY-----\n\
";

/// V2 platform private key (PKCS#8): what the fake gateway signs notifies and answers with.
pub const PLATFORM_PRIVATE_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC9PrzCadBEYpBy\n\
WNmKwU5paEn8OwCTlY2HXf42XdLX6Ya13BPJnaLEIccgka4DKIdeCVg5dz5GAlgt\n\
/NjKLoa96DOmvO5hqy8QoengD0FpO0vsrkmOJQ4LmEC7BRbo64pRk0i1mJwL40wH\n\
9bl3wzJBBBjCO+gaewEgUrW1m3MVwyIzeW+ZpXdBokvYGVg2b8l8+UjT/5LEU9KF\n\
qDiEmgjWfBGyxqXEJxMJd9yyKAmoapx71R6l5VgyhWPZCRiGNfb7mGeMWot8Vb5R\n\
elMYoX1aisHIAeOkps3yDQnBjvGdX+Bg2WNUAc2Y1vmJdCIklr8LcNc7BgNNjcCr\n\
T2kHP+CxAgMBAAECggEAUSOMBQMfQ6LK8ev8Ycyd1P3c8uNNTPnLM6XuL9ssYlyC\n\
4Ihah5Ap0FP3L5Smej4vQ/dXt1PUBGpO6nDFdnJaXSQouS26O3AM/uGdB+8iiX7d\n\
/71+Vg63JeuCnW0CNJ2AsZcnjoy/Iy2yVJtbiOjNLCkYgHb0/h2NDxHHTPU4c7R4\n\
lgSAa4FnndM4A3FbeQxOxnao9tBMEBDCwQpBddQ7fTEkWT0cgAbXrIqkNmXgM+FN\n\
1lXyDHxi5SavW+2noGTtIXm9rLXbq5YE9KMhVvnIf0WXhgC+Y+ogAN1aNljoi/nI\n\
GEiqB3YyIbKA37/B4cWMJzA/qFNZEtXvnnASjSYP3QKBgQDlemP0rgWiDjxKeS/L\n\
ndsw77vm6QoMffNTQXrnYS0maUhFOyb3ToT9+6LDBiY7ADLaucfQzYhhMMQYqEKr\n\
ctDgRzBWw8dg9o3QKkuiLcMO3D6+EmAFFzhGg+UzdpayFTjvEQYgvhHliahndJzs\n\
/TmKFrGy1VIv8J94eKTCCl3rywKBgQDTHfccQsBD/kRFJd3/Z5gyO25r02yFD1UA\n\
Swcz2yKaPTOjjpi7gTNWAmn2GoS0Gg9O5PBIfkhAvlcRbGd19UwhPfgj0hTe8hv/\n\
lbiXCtGbzycw7egEibES7Ghd+KdpDyjmmNu9QBE3/OscNvaf3vw3Mx1NVdTnGqaY\n\
Z5WEBOdN8wKBgBmaXiyefeJm1DM68io1oo8DMGPC/GwIYW2YkK3gGbl/ZaDTyLUu\n\
/YeY28AGn51VmFbvA2w4gk7VsgtOOqIGXWeoiawki8o1t/zRuz6M/IZb7GQoiK4I\n\
uS6k6J2lTYrw8zk5HQXqLvT9NtzUFe4bEqBlh838Hv9aSXCXhUpg/bmhAoGACjzH\n\
wN0TybhIwzmk3D+/x5/OKPhlqMYnjw4UWVVlBim1mVbO3TjUrnULgl2i1cD1wROk\n\
+z70bf9M5ZFmKvgsKuiAYexMCsuew/QUsW5a371Z3yuKNr4ekhZYsUXfiF6t0xDS\n\
hwjWTOq80+9uYi5D+MFHyHpDCrnmHjnXrEE4njUCgYBzHqXfHtL/e8S12VfJT06w\n\
gRW1faBtqU8oG40v8+TPih6zME+jQkcStVnHEgI95b9Qo3+Z9x1VKcU3/1U7XDYL\n\
q+7W7pFXHpydtwwr3d/d41hoHJeFCT0Hi1qw4E+6OjKl2vwrSlEMawLRnJ1BlSjd\n\
wZGER4Gv9ewp8lEY3MQc4w==\n\
-----END PRIVATE KEY-----\n\
";

/// V2 platform public key (平台公钥, SPKI): what an admin configures in Youying.
pub const PLATFORM_PUBLIC_PEM: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvT68wmnQRGKQcljZisFO\n\
aWhJ/DsAk5WNh13+Nl3S1+mGtdwTyZ2ixCHHIJGuAyiHXglYOXc+RgJYLfzYyi6G\n\
vegzprzuYasvEKHp4A9BaTtL7K5JjiUOC5hAuwUW6OuKUZNItZicC+NMB/W5d8My\n\
QQQYwjvoGnsBIFK1tZtzFcMiM3lvmaV3QaJL2BlYNm/JfPlI0/+SxFPShag4hJoI\n\
1nwRssalxCcTCXfcsigJqGqce9UepeVYMoVj2QkYhjX2+5hnjFqLfFW+UXpTGKF9\n\
WorByAHjpKbN8g0JwY7xnV/gYNljVAHNmNb5iXQiJJa/C3DXOwYDTY3Aq09pBz/g\n\
sQIDAQAB\n\
-----END PUBLIC KEY-----\n\
";
