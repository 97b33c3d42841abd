// A single-page shop: three client-side routes (home, product, basket) over one page load.
// Attune's loader is bundled in (the import below starts it); placements are plain custom
// elements, so a route change only changes their attributes and Attune re-renders them.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import attune from "attune-web";

type Route = { page: "home" } | { page: "product"; id: string } | { page: "cart" };

function parse(hash: string): Route {
  const m = /^#\/product\/(.+)$/.exec(hash);
  if (m) return { page: "product", id: decodeURIComponent(m[1]) };
  return hash === "#/cart" ? { page: "cart" } : { page: "home" };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parse(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

// --- guide: product route ---
function Product({ id, onAdd }: { id: string; onAdd: (id: string) => void }) {
  // A client-side route change is not a page load: tell Attune about the view.
  useEffect(() => attune.track({ type: "view", item: id }), [id]);
  return (
    <main data-route="product" data-item={id}>
      <h1>Item {id}</h1>
      <button onClick={() => onAdd(id)}>Add to basket</button>
      <attune-recs placement="similar" item={id} k={4} />
      <attune-recs placement="recent" item={id} />
    </main>
  );
}
// --- end guide ---

function Home() {
  return (
    <main data-route="home">
      <h1>Welcome</h1>
      <attune-recs placement="for-you" heading="Picked for you" />
    </main>
  );
}

function Cart({ basket }: { basket: string[] }) {
  return (
    <main data-route="cart">
      <h1>Your basket ({basket.length})</h1>
      <ul>{basket.map((id) => <li key={id}>{id}</li>)}</ul>
      <attune-recs placement="cart" items={basket.join(" ")} />
    </main>
  );
}

function App() {
  const route = useRoute();
  const [basket, setBasket] = useState<string[]>([]);
  const add = (id: string) => {
    attune.track({ type: "cart", item: id });
    setBasket((b) => (b.includes(id) ? b : [...b, id]));
    location.hash = "#/cart";
  };
  return (
    <>
      <nav>
        <a href="#/">Home</a> <a href="#/cart">Basket</a>
      </nav>
      {route.page === "product" ? (
        <Product id={route.id} onAdd={add} />
      ) : route.page === "cart" ? (
        <Cart basket={basket} />
      ) : (
        <Home />
      )}
      <footer>
        <attune-privacy />
      </footer>
    </>
  );
}

render(<App />, document.getElementById("app")!);
